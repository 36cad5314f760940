// Failures leave no trace in the names: corrupt or missing inputs, cancellation and a kill -9 in
// the middle of writing never produce a manifest and never disturb another model.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <thread>

#include "create/import.h"
#include "create_test_util.h"
#include "store/digest.h"
#include "util/error.h"

namespace pictor::create {
namespace {

using namespace testing;
using store::ModelName;

class ImportFailure : public ::testing::Test {
protected:
    void SetUp() override {
        CreateRequest req;
        req.name = keep;
        req.source_dir = zimage_dev_dir();
        create_model(st, req, nullptr);
    }

    // Runs the import of `dir` as `name`, expects an Error of `kind` whose message contains
    // `needle`, and checks the store is as before for everyone else.
    void expect_failure(const fs::path& dir, ErrorKind kind, const std::string& needle,
                        const std::atomic<bool>* cancel = nullptr, ProgressFn progress = nullptr) {
        CreateRequest req;
        req.name = bad;
        req.source_dir = dir;
        try {
            create_model(st, req, progress, cancel);
            ADD_FAILURE() << "import of " << dir << " succeeded";
        } catch (const Error& e) {
            EXPECT_EQ(int(e.kind()), int(kind)) << e.what();
            EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
        }
        EXPECT_FALSE(st.find(bad).has_value());
        expect_model_intact(st, keep);
        EXPECT_EQ(st.list().size(), 1u);
        // No temp files left behind (everything in blobs/ is a committed blob).
        for (auto& f : blob_files(st)) EXPECT_TRUE(f.starts_with("sha256-") && f.size() == 71) << f;
    }

    TempDir tmp;
    store::ModelStore st{tmp.path() / "models"};
    ModelName keep = ModelName::parse("keep");
    ModelName bad = ModelName::parse("bad");
};

TEST_F(ImportFailure, MissingModelIndexWritesNothing) {
    fs::path dir = tmp.path() / "src";
    copy_tree(zimage_dev_dir(), dir);
    fs::remove(dir / "model_index.json");
    auto before = blob_files(st);
    expect_failure(dir, ErrorKind::InvalidArgument, "model_index.json not found in " + dir.string());
    EXPECT_EQ(blob_files(st), before);
}

TEST_F(ImportFailure, NotADirectory) {
    fs::path file = tmp.path() / "plain-file";
    write_text(file, "x");
    expect_failure(file, ErrorKind::Io, file.string());
    expect_failure(tmp.path() / "missing", ErrorKind::NotFound, (tmp.path() / "missing").string());
}

TEST_F(ImportFailure, TruncatedSafetensors) {
    fs::path dir = tmp.path() / "src";
    copy_tree(zimage_dev_dir(), dir);
    fs::path f = dir / "transformer" / "diffusion_pytorch_model.safetensors";
    fs::resize_file(f, fs::file_size(f) - 1000);
    auto before = blob_files(st);
    expect_failure(dir, ErrorKind::Corrupt, f.string());
    // Detected while planning: not a single blob was written.
    EXPECT_EQ(blob_files(st), before);
}

TEST_F(ImportFailure, WrongHeader) {
    fs::path dir = tmp.path() / "src";
    copy_tree(zimage_dev_dir(), dir);
    fs::path f = dir / "vae" / "diffusion_pytorch_model.safetensors";
    {
        std::fstream io(f, std::ios::in | std::ios::out | std::ios::binary);
        io.seekp(8);
        io.write("{{{{{{", 6);  // header JSON no longer parses
    }
    expect_failure(dir, ErrorKind::Corrupt, f.string());
    {
        std::fstream io(f, std::ios::in | std::ios::out | std::ios::binary);
        uint64_t huge = uint64_t(1) << 40;
        io.write(reinterpret_cast<const char*>(&huge), 8);
    }
    expect_failure(dir, ErrorKind::Corrupt, f.string());
}

TEST_F(ImportFailure, BadModelIndexJson) {
    fs::path dir = tmp.path() / "src";
    copy_tree(zimage_dev_dir(), dir);
    write_text(dir / "model_index.json", "[1,2");
    expect_failure(dir, ErrorKind::Corrupt, (dir / "model_index.json").string());
}

TEST_F(ImportFailure, CancelBeforeAndDuring) {
    std::atomic<bool> cancel{true};
    expect_failure(zimage_dev_dir(), ErrorKind::Cancelled, "cancel", &cancel);
    cancel = false;
    // Cancel once the transformer file starts: the text encoder's blobs exist, no manifest.
    expect_failure(zimage_dev_dir(), ErrorKind::Cancelled, "cancel", &cancel, [&](const Progress& p) {
        if (p.status.starts_with("importing transformer/")) cancel = true;
    });
}

TEST_F(ImportFailure, ProgressCallbackThrowing) {
    // A client that goes away mid-import (its callback throws) aborts the import cleanly.
    expect_failure(zimage_dev_dir(), ErrorKind::Io, "client gone", nullptr, [](const Progress& p) {
        if (p.total > 0) throw Error(ErrorKind::Io, "client gone");
    });
}

TEST_F(ImportFailure, InvalidParameter) {
    CreateRequest req;
    req.name = bad;
    req.source_dir = zimage_dev_dir();
    req.parameters = {{"width", "70"}};
    EXPECT_THROW(create_model(st, req, nullptr), Error);
    EXPECT_FALSE(st.find(bad).has_value());
}

TEST_F(ImportFailure, KillDashNineMidImport) {
    fs::path dir = tmp.path() / "big";
    make_synth_model(dir, 384, 2, 1024, 7);

    int fds[2];
    ASSERT_EQ(::pipe(fds), 0);
    pid_t pid = ::fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
        // Child: import, telling the parent when bytes start flowing. Never return into gtest.
        ::close(fds[0]);
        try {
            store::ModelStore cst(st.root());
            CreateRequest req;
            req.name = bad;
            req.source_dir = dir;
            bool told = false;
            create_model(cst, req, [&](const Progress& p) {
                if (p.total > 0 && p.completed > 0 && !told) {
                    told = true;
                    char c = 'x';
                    (void)!::write(fds[1], &c, 1);
                }
            });
        } catch (...) {
            ::_exit(2);
        }
        ::_exit(0);
    }
    ::close(fds[1]);
    pollfd pfd{fds[0], POLLIN, 0};
    ASSERT_EQ(::poll(&pfd, 1, 60000), 1) << "child never reported progress";
    std::this_thread::sleep_for(std::chrono::milliseconds(150));
    ::kill(pid, SIGKILL);
    int status = 0;
    ::waitpid(pid, &status, 0);
    ::close(fds[0]);
    ASSERT_TRUE(WIFSIGNALED(status)) << "child finished before the kill; make the model bigger";

    EXPECT_FALSE(st.find(bad).has_value());
    auto models = st.list();
    ASSERT_EQ(models.size(), 1u);
    expect_model_intact(st, keep);

    // Leftovers: committed-but-unreferenced blobs and/or temp files. Prune with no grace period
    // removes them and keeps exactly what `keep` references.
    auto before = blob_files(st);
    auto rep = st.prune(std::chrono::seconds(0));
    EXPECT_FALSE(rep.skipped) << rep.reason;
    EXPECT_GT(rep.removed_blobs, 0u);
    auto e = st.get(keep);
    std::set<std::string> referenced = {store::digest_file_name(e.manifest.config.digest),
                                        store::digest_file_name("sha256:" + e.digest_hex)};
    for (auto& l : e.manifest.layers) referenced.insert(store::digest_file_name(l.digest));
    EXPECT_EQ(blob_files(st), referenced);
    std::printf("kill -9: %zu files in blobs/ before prune, %zu removed\n", before.size(), rep.removed_blobs);
    expect_model_intact(st, keep);
}

}  // namespace
}  // namespace pictor::create
