// The scheduler against real runner processes in fake-engine mode (image_fixture.h):
// FIFO order, the queue bound, cancellation while queued and while running, a runner killed
// mid-request, keep-alive 0 and expiry, and what running() reports.
#include <gtest/gtest.h>
#include <signal.h>

#include <algorithm>
#include <atomic>
#include <future>
#include <mutex>
#include <thread>

#include "image_fixture.h"
#include "server/server_fixture.h"
#include "util/error.h"
#include "util/png_reader.h"

namespace pictor::server::test {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

class SchedulerTest : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        models_ = new fs::path(make_temp_dir("pictor-sched"));
        import_dev_model(*models_, "dev");
    }
    static void TearDownTestSuite() {
        fs::remove_all(*models_);
        delete models_;
    }
    void start(SchedulerOptions o) { server_ = std::make_unique<ImageServer>(*models_, std::move(o)); }
    void TearDown() override {
        server_.reset();
        EXPECT_TRUE(runner_pids().empty()) << "runners outlived the scheduler";
    }
    Scheduler& sched() { return server_->scheduler(); }

    static ImageRequest req(const std::string& prompt, int steps = 2, std::optional<Millis> keep_alive = {}) {
        ImageRequest r;
        r.model = "dev";
        r.prompt = prompt;
        r.steps = steps;
        r.keep_alive = keep_alive;
        return r;
    }
    static ErrorKind kind_of(const std::function<void()>& f, std::string* message = nullptr) {
        try {
            f();
        } catch (const Error& e) {
            if (message) *message = e.what();
            return e.kind();
        }
        ADD_FAILURE() << "no error";
        return ErrorKind::Internal;
    }
    // Polls `cond` for up to `limit`.
    static bool eventually(const std::function<bool()>& cond, std::chrono::milliseconds limit = 5000ms) {
        const auto end = std::chrono::steady_clock::now() + limit;
        while (std::chrono::steady_clock::now() < end) {
            if (cond()) return true;
            std::this_thread::sleep_for(20ms);
        }
        return cond();
    }

    static fs::path* models_;
    std::unique_ptr<ImageServer> server_;
};
fs::path* SchedulerTest::models_ = nullptr;

TEST_F(SchedulerTest, GeneratesAPngAndReportsTheSeed) {
    start(fake_runner_options());
    std::vector<ImageProgress> seen;
    ImageRequest r = req("a lighthouse", 3);
    r.seed = 7;
    r.width = 64;
    r.height = 96;
    const ImageResult res = sched().generate(r, [&](const ImageProgress& p) { seen.push_back(p); }, {});
    EXPECT_EQ(res.seed, 7u);
    EXPECT_EQ(res.width, 64);
    EXPECT_EQ(res.height, 96);
    EXPECT_EQ(res.steps, 3);
    const DecodedPng png = decode_png(reinterpret_cast<const uint8_t*>(res.png.data()), res.png.size());
    EXPECT_EQ(png.width, 64);
    EXPECT_EQ(png.height, 96);
    EXPECT_GT(res.load_duration.count(), 0);
    EXPECT_GE(res.total_duration, res.load_duration);
    // Loading, text encoding, steps 0..3, decoding — in that order.
    std::vector<std::string> phases;
    for (const auto& p : seen) {
        switch (p.phase) {
            case ImageProgress::Phase::Queued: break;
            case ImageProgress::Phase::Loading: phases.push_back("load"); break;
            case ImageProgress::Phase::TextEncoding: phases.push_back("text"); break;
            case ImageProgress::Phase::Denoising: phases.push_back(std::to_string(p.completed) + "/" + std::to_string(p.total)); break;
            case ImageProgress::Phase::Decoding: phases.push_back("decode"); break;
        }
    }
    EXPECT_EQ(phases, (std::vector<std::string>{"load", "text", "0/3", "1/3", "2/3", "3/3", "decode"}));
    // Same seed, same bytes; a second request reuses the runner (no Loading).
    seen.clear();
    const ImageResult again = sched().generate(r, [&](const ImageProgress& p) { seen.push_back(p); }, {});
    EXPECT_EQ(again.png, res.png);
    EXPECT_TRUE(std::none_of(seen.begin(), seen.end(), [](const ImageProgress& p) { return p.phase == ImageProgress::Phase::Loading; }));
    EXPECT_EQ(runner_pids().size(), 1u);
}

TEST_F(SchedulerTest, RandomSeedWhenAbsent) {
    start(fake_runner_options(1));
    const auto a = sched().generate(req("x", 1), {}, {});
    const auto b = sched().generate(req("x", 1), {}, {});
    EXPECT_NE(a.seed, b.seed);
    EXPECT_NE(a.png, b.png);
}

TEST_F(SchedulerTest, EightClientsAreServedInArrivalOrder) {
    start(fake_runner_options(30));
    sched().load("dev", {});
    std::mutex mu;
    std::vector<int> finished;
    std::vector<std::thread> clients;
    std::vector<size_t> first_position(8, SIZE_MAX);
    for (int i = 0; i < 8; ++i) {
        clients.emplace_back([&, i] {
            const auto r = sched().generate(
                // The first one runs long enough for all the others to queue behind it.
                req("client " + std::to_string(i), i == 0 ? 30 : 2),
                [&, i](const ImageProgress& p) {
                    std::lock_guard lock(mu);
                    if (p.phase == ImageProgress::Phase::Queued && first_position[i] == SIZE_MAX)
                        first_position[i] = p.queue_position;
                },
                {});
            std::lock_guard lock(mu);
            finished.push_back(i);
            EXPECT_FALSE(r.png.empty());
        });
        // Arrival order must be unambiguous: each request is queued before the next starts.
        ASSERT_TRUE(eventually([&] {
            const auto ps = sched().running();
            return ps.size() == 1 && ps[0].queue_length + (ps[0].busy ? 1 : 0) == size_t(i + 1);
        })) << i;
    }
    for (auto& t : clients) t.join();
    EXPECT_EQ(finished, (std::vector<int>{0, 1, 2, 3, 4, 5, 6, 7}));
    for (int i = 1; i < 8; ++i) EXPECT_EQ(first_position[i], size_t(i)) << "requests ahead of client " << i;
}

TEST_F(SchedulerTest, QueueBoundIsA503WithAClearMessage) {
    SchedulerOptions o = fake_runner_options(100);
    o.max_queue = 3;
    start(o);
    sched().load("dev", {});
    std::atomic<bool> stop{false};
    auto cancelled = [&] { return stop.load(); };
    std::vector<std::future<void>> running;
    for (int i = 0; i < 4; ++i) {  // one running + three waiting
        running.push_back(std::async(std::launch::async, [&, i] {
            try {
                sched().generate(req("r" + std::to_string(i), 50), {}, cancelled);
            } catch (const Error&) {
            }
        }));
        ASSERT_TRUE(eventually([&] {
            auto ps = sched().running();
            return !ps.empty() && ps[0].queue_length + (ps[0].busy ? 1 : 0) == size_t(i + 1);
        }));
    }
    std::string msg;
    EXPECT_EQ(kind_of([&] { sched().generate(req("one too many"), {}, {}); }, &msg), ErrorKind::Unavailable);
    EXPECT_EQ(http_status(ErrorKind::Unavailable), 503);
    EXPECT_EQ(msg, "server busy: the queue for dev:latest is full (3 waiting); try again later");
    stop = true;
    for (auto& f : running) f.get();
}

TEST_F(SchedulerTest, CancelWhileQueuedLeavesTheQueue) {
    start(fake_runner_options(50));
    sched().load("dev", {});
    auto first = std::async(std::launch::async, [&] { return sched().generate(req("first", 10), {}, {}); });
    ASSERT_TRUE(eventually([&] { auto ps = sched().running(); return !ps.empty() && ps[0].busy; }));
    std::atomic<bool> cancel{false};
    auto second = std::async(std::launch::async, [&] {
        return kind_of([&] { sched().generate(req("second", 10), {}, [&] { return cancel.load(); }); });
    });
    ASSERT_TRUE(eventually([&] { auto ps = sched().running(); return !ps.empty() && ps[0].queue_length == 1; }));
    const auto t0 = std::chrono::steady_clock::now();
    cancel = true;
    EXPECT_EQ(second.get(), ErrorKind::Cancelled);
    EXPECT_LT(std::chrono::steady_clock::now() - t0, 500ms);
    EXPECT_EQ(sched().running()[0].queue_length, 0u);
    EXPECT_FALSE(first.get().png.empty()) << "the running request is not disturbed";
}

TEST_F(SchedulerTest, CancelWhileRunningFreesTheRunner) {
    start(fake_runner_options(100));
    sched().load("dev", {});
    std::atomic<bool> cancel{false};
    std::atomic<int> steps{0};
    auto running = std::async(std::launch::async, [&] {
        std::string msg;
        const ErrorKind k = kind_of(
            [&] {
                sched().generate(
                    req("long", 100),  // 10 s if nothing stops it
                    [&](const ImageProgress& p) {
                        if (p.phase == ImageProgress::Phase::Denoising) steps = p.completed;
                    },
                    [&] { return cancel.load(); });
            },
            &msg);
        EXPECT_EQ(msg, "request canceled");
        return k;
    });
    ASSERT_TRUE(eventually([&] { return steps >= 2; }));
    const auto t0 = std::chrono::steady_clock::now();
    cancel = true;
    EXPECT_EQ(running.get(), ErrorKind::Cancelled);
    EXPECT_LT(std::chrono::steady_clock::now() - t0, 500ms);
    // The runner got the cancel and is idle: a new 1-step request is served well within a
    // second, instead of after the 9 s the cancelled one had left.
    const auto t1 = std::chrono::steady_clock::now();
    EXPECT_FALSE(sched().generate(req("short", 1), {}, {}).png.empty());
    EXPECT_LT(std::chrono::steady_clock::now() - t1, 1000ms);
    EXPECT_NE(server_->log_text().find("canceled"), std::string::npos) << server_->log_text();
}

TEST_F(SchedulerTest, RunnerKilledMidRequestFailsItAndTheNextStartsANewRunner) {
    start(fake_runner_options(100));
    std::atomic<int> steps{0};
    auto victim = std::async(std::launch::async, [&] {
        std::string msg;
        const ErrorKind k = kind_of(
            [&] {
                sched().generate(req("doomed", 50),
                                 [&](const ImageProgress& p) {
                                     if (p.phase == ImageProgress::Phase::Denoising) steps = p.completed;
                                 },
                                 {});
            },
            &msg);
        return std::make_pair(k, msg);
    });
    ASSERT_TRUE(eventually([&] { return steps >= 1; }));
    const auto pids = runner_pids();
    ASSERT_EQ(pids.size(), 1u);
    ASSERT_EQ(::kill(pids[0], SIGKILL), 0);
    const auto [kind, msg] = victim.get();
    EXPECT_EQ(kind, ErrorKind::Internal);
    EXPECT_EQ(http_status(kind), 500);
    EXPECT_NE(msg.find("runner for dev:latest exited unexpectedly"), std::string::npos) << msg;
    EXPECT_NE(msg.find("(signal: killed)"), std::string::npos) << msg;
    EXPECT_FALSE(process_alive(pids[0])) << "reaped, no zombie";

    const auto res = sched().generate(req("next", 1), {}, {});
    EXPECT_FALSE(res.png.empty());
    const auto now = runner_pids();
    ASSERT_EQ(now.size(), 1u);
    EXPECT_NE(now[0], pids[0]);
}

TEST_F(SchedulerTest, RunnerDeadWhileIdleIsReplacedSilently) {
    start(fake_runner_options(10));
    sched().load("dev", {});
    const auto pids = runner_pids();
    ASSERT_EQ(pids.size(), 1u);
    ::kill(pids[0], SIGKILL);
    std::this_thread::sleep_for(100ms);
    EXPECT_FALSE(sched().generate(req("after", 1), {}, {}).png.empty());
}

TEST_F(SchedulerTest, KeepAliveZeroUnloadsAfterTheRequest) {
    start(fake_runner_options(10));
    sched().generate(req("once", 1, Millis(0)), {}, {});
    EXPECT_TRUE(eventually([&] { return sched().running().empty() && runner_pids().empty(); }, 3000ms));
}

TEST_F(SchedulerTest, IdleRunnersExpire) {
    start(fake_runner_options(10));
    sched().load("dev", Millis(400));
    auto ps = sched().running();
    ASSERT_EQ(ps.size(), 1u);
    const auto until = ps[0].expires_at - std::chrono::system_clock::now();
    EXPECT_GT(until, 0ms);
    EXPECT_LE(until, 400ms);
    EXPECT_TRUE(eventually([&] { return sched().running().empty(); }, 3000ms));
    EXPECT_TRUE(eventually([&] { return runner_pids().empty(); }, 3000ms));
}

TEST_F(SchedulerTest, DefaultKeepAliveComesFromOptions) {
    SchedulerOptions o = fake_runner_options(10);
    o.default_keep_alive = Millis(300);
    start(o);
    sched().generate(req("x", 1), {}, {});
    EXPECT_EQ(sched().running().size(), 1u);
    EXPECT_TRUE(eventually([&] { return sched().running().empty(); }, 3000ms));
}

TEST_F(SchedulerTest, NegativeKeepAliveNeverExpires) {
    start(fake_runner_options(10));
    sched().load("dev", kKeepForever);
    const auto ps = sched().running();
    ASSERT_EQ(ps.size(), 1u);
    EXPECT_EQ(ps[0].expires_at, std::chrono::system_clock::time_point::max());
}

TEST_F(SchedulerTest, UnloadStopsTheRunnerAtOnce) {
    start(fake_runner_options(10));
    EXPECT_FALSE(sched().unload("dev")) << "not loaded";
    sched().load("dev", {});
    const auto pids = runner_pids();
    ASSERT_EQ(pids.size(), 1u);
    EXPECT_TRUE(sched().unload("dev"));
    EXPECT_TRUE(sched().running().empty());
    EXPECT_FALSE(process_alive(pids[0]));
}

TEST_F(SchedulerTest, RunningDescribesTheModel) {
    start(fake_runner_options(50));
    sched().load("dev", {});
    auto busy = std::async(std::launch::async, [&] { return sched().generate(req("a", 10), {}, {}); });
    auto queued = std::async(std::launch::async, [&] { return sched().generate(req("b", 1), {}, {}); });
    ASSERT_TRUE(eventually([&] { auto ps = sched().running(); return !ps.empty() && ps[0].busy && ps[0].queue_length == 1; }));
    const auto ps = sched().running();
    ASSERT_EQ(ps.size(), 1u);
    EXPECT_EQ(ps[0].name, "dev:latest");
    EXPECT_EQ(ps[0].digest_hex.size(), 64u);
    EXPECT_GT(ps[0].size, 0u);
    EXPECT_GT(ps[0].memory_estimate, 0u);
    EXPECT_EQ(ps[0].family, "ZImagePipeline");
    busy.get();
    queued.get();
}

TEST_F(SchedulerTest, UnknownModel) {
    start(fake_runner_options(10));
    std::string msg;
    ImageRequest r = req("x");
    r.model = "nope";
    EXPECT_EQ(kind_of([&] { sched().generate(r, {}, {}); }, &msg), ErrorKind::NotFound);
    EXPECT_EQ(msg, "model 'nope' not found");
    EXPECT_EQ(kind_of([&] { sched().unload("nope"); }), ErrorKind::NotFound);
    EXPECT_EQ(kind_of([&] { sched().load("bad name!", {}); }), ErrorKind::InvalidArgument);
    EXPECT_TRUE(runner_pids().empty());
}

}  // namespace
}  // namespace pictor::server::test
