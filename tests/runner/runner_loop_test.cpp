// The runner's serving loop, in process: commands in through one pipe, events out through
// another, with the fake engine (50 ms per step). Covers ordering, progress, cancellation of
// the running and of a queued request, bad lines, and shutdown on EOF.
#include <gtest/gtest.h>
#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include <chrono>
#include <thread>

#include "runner/fake_engine.h"
#include "runner/runner_loop.h"
#include "util/base64.h"
#include "util/png_reader.h"

namespace pictor::runner {
namespace {

using namespace std::chrono_literals;

class LoopHarness {
public:
    LoopHarness() {
        int a[2], b[2];
        if (::pipe(a) != 0 || ::pipe(b) != 0) throw std::runtime_error("pipe");
        cmd_r_ = a[0], cmd_w_ = a[1], ev_r_ = b[0], ev_w_ = b[1];
        FakeEngineOptions o;
        o.step_time = 50ms;
        engine_ = make_fake_engine(o);
        writer_ = std::make_unique<EventWriter>(ev_w_);
        config_.defaults = engine_->defaults();
        thread_ = std::thread([this] { serve_commands(*engine_, config_, cmd_r_, *writer_, stop_); });
    }
    ~LoopHarness() {
        close_input();
        stop_ = true;
        if (thread_.joinable()) thread_.join();
        for (int fd : {cmd_r_, ev_r_, ev_w_}) ::close(fd);
    }
    void send(const Command& c) {
        const std::string line = serialize(c) + "\n";
        ASSERT_EQ(::write(cmd_w_, line.data(), line.size()), static_cast<ssize_t>(line.size()));
    }
    void send_raw(const std::string& s) { ASSERT_EQ(::write(cmd_w_, s.data(), s.size()), static_cast<ssize_t>(s.size())); }
    void close_input() {
        if (cmd_w_ >= 0) ::close(cmd_w_);
        cmd_w_ = -1;
    }
    // The next event, or nullopt after `timeout`.
    std::optional<Event> next(std::chrono::milliseconds timeout = 5000ms) {
        const auto deadline = std::chrono::steady_clock::now() + timeout;
        for (;;) {
            if (auto nl = buf_.find('\n'); nl != std::string::npos) {
                std::string line = buf_.substr(0, nl);
                buf_.erase(0, nl + 1);
                return parse_event(line);
            }
            const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
            if (left.count() <= 0) return std::nullopt;
            pollfd p{ev_r_, POLLIN, 0};
            if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) return std::nullopt;
            char chunk[65536];
            const ssize_t n = ::read(ev_r_, chunk, sizeof chunk);
            if (n <= 0) return std::nullopt;
            buf_.append(chunk, static_cast<size_t>(n));
        }
    }
    // Events up to and including the final one of request `id`.
    std::vector<Event> until_done(uint64_t id) {
        std::vector<Event> out;
        while (auto e = next()) {
            out.push_back(*e);
            if (auto* im = std::get_if<ImageEvent>(&*e); im && im->id == id) break;
            if (auto* f = std::get_if<FailedEvent>(&*e); f && f->id == id) break;
        }
        return out;
    }
    std::thread& thread() { return thread_; }

private:
    int cmd_r_ = -1, cmd_w_ = -1, ev_r_ = -1, ev_w_ = -1;
    std::unique_ptr<Engine> engine_;
    std::unique_ptr<EventWriter> writer_;
    LoopConfig config_;
    std::atomic<bool> stop_{false};
    std::string buf_;
    std::thread thread_;
};

GenerateCommand request(uint64_t id, int steps, std::optional<uint64_t> seed = std::nullopt) {
    GenerateCommand g;
    g.id = id;
    g.prompt = "a lighthouse";
    g.width = 64;
    g.height = 80;
    g.steps = steps;
    g.seed = seed;
    return g;
}

TEST(RunnerLoop, ProgressThenImage) {
    LoopHarness h;
    h.send(request(1, 3, 42));
    const auto evs = h.until_done(1);
    ASSERT_GE(evs.size(), 6u);
    EXPECT_TRUE(std::holds_alternative<PhaseEvent>(evs[0]));
    std::vector<int> steps;
    for (const auto& e : evs)
        if (auto* s = std::get_if<StepEvent>(&e)) {
            steps.push_back(s->step);
            EXPECT_EQ(s->total, 3);
        }
    EXPECT_EQ(steps, (std::vector<int>{0, 1, 2, 3}));
    const auto& img = std::get<ImageEvent>(evs.back());
    EXPECT_EQ(img.seed, 42u);
    EXPECT_EQ(img.width, 64);
    EXPECT_EQ(img.height, 80);
    EXPECT_EQ(img.steps, 3);
    const auto png = base64_decode(img.image_base64);
    ASSERT_TRUE(png);
    const DecodedPng d = decode_png(png->data(), png->size());
    EXPECT_EQ(d.width, 64);
    EXPECT_EQ(d.height, 80);
}

TEST(RunnerLoop, RandomSeedIsReported) {
    LoopHarness h;
    h.send(request(1, 1));
    const auto evs = h.until_done(1);
    const auto& img = std::get<ImageEvent>(evs.back());
    EXPECT_LT(img.seed, uint64_t(1) << 53);
}

TEST(RunnerLoop, RequestsRunInOrder) {
    LoopHarness h;
    for (uint64_t id = 1; id <= 3; ++id) h.send(request(id, 1));
    std::vector<uint64_t> done;
    while (done.size() < 3) {
        auto e = h.next();
        ASSERT_TRUE(e);
        if (auto* im = std::get_if<ImageEvent>(&*e)) done.push_back(im->id);
    }
    EXPECT_EQ(done, (std::vector<uint64_t>{1, 2, 3}));
}

TEST(RunnerLoop, CancelRunningStopsWithinAStep) {
    LoopHarness h;
    h.send(request(1, 100));  // 5 s if not cancelled
    for (;;) {  // wait for the first step
        auto e = h.next();
        ASSERT_TRUE(e);
        if (auto* s = std::get_if<StepEvent>(&*e); s && s->step >= 1) break;
    }
    const auto t0 = std::chrono::steady_clock::now();
    h.send(Command{CancelCommand{1}});
    const auto evs = h.until_done(1);
    const auto& f = std::get<FailedEvent>(evs.back());
    EXPECT_EQ(f.kind, ErrorKind::Cancelled);
    EXPECT_EQ(f.message, "request canceled");
    EXPECT_LT(std::chrono::steady_clock::now() - t0, 500ms);
    // And the runner is free for the next request at once.
    h.send(request(2, 1));
    EXPECT_TRUE(std::holds_alternative<ImageEvent>(h.until_done(2).back()));
}

TEST(RunnerLoop, CancelQueuedAnswersAtOnce) {
    LoopHarness h;
    h.send(request(1, 10));
    h.send(request(2, 10));
    h.send(Command{CancelCommand{2}});
    std::optional<FailedEvent> cancelled;
    bool first_done = false;
    while (!first_done) {
        auto e = h.next();
        ASSERT_TRUE(e);
        if (auto* f = std::get_if<FailedEvent>(&*e)) {
            EXPECT_EQ(f->id, 2u);
            EXPECT_FALSE(first_done) << "the queued request is answered before the running one ends";
            cancelled = *f;
        }
        if (auto* im = std::get_if<ImageEvent>(&*e)) first_done = im->id == 1;
    }
    ASSERT_TRUE(cancelled);
    EXPECT_EQ(cancelled->kind, ErrorKind::Cancelled);
}

TEST(RunnerLoop, InvalidRequestFailsThatRequestOnly) {
    LoopHarness h;
    auto bad = request(1, 1);
    bad.width = 70;
    h.send(bad);
    const auto evs = h.until_done(1);
    const auto& f = std::get<FailedEvent>(evs.back());
    EXPECT_EQ(f.kind, ErrorKind::InvalidArgument);
    EXPECT_NE(f.message.find("multiple of 16"), std::string::npos);
    h.send_raw("this is not json\n");
    h.send(request(2, 1));
    EXPECT_TRUE(std::holds_alternative<ImageEvent>(h.until_done(2).back()));
}

TEST(RunnerLoop, EofEndsTheLoopAndCancelsTheRunningRequest) {
    LoopHarness h;
    h.send(request(1, 1000));
    ASSERT_TRUE(h.next());
    const auto t0 = std::chrono::steady_clock::now();
    h.close_input();
    h.thread().join();
    EXPECT_LT(std::chrono::steady_clock::now() - t0, 1s);
}

}  // namespace
}  // namespace pictor::runner
