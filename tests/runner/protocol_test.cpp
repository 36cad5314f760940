// The runner protocol's lines: every command and event survives a round trip, and bad lines
// are rejected with InvalidArgument rather than misread.
#include <gtest/gtest.h>

#include "runner/protocol.h"

namespace pictor::runner {
namespace {

using nlohmann::json;

TEST(RunnerProtocol, GenerateCommandRoundTrip) {
    GenerateCommand g;
    g.id = 7;
    g.prompt = "a lighthouse \"at\" dusk\n";
    g.negative_prompt = "blurry";
    g.width = 512;
    g.height = 768;
    g.steps = 9;
    g.guidance = 4.5f;
    g.seed = 18446744073709551615ull;
    const std::string line = serialize(Command{g});
    EXPECT_EQ(line.find('\n'), std::string::npos) << "one command per line";
    const auto back = std::get<GenerateCommand>(parse_command(line));
    EXPECT_EQ(back.id, 7u);
    EXPECT_EQ(back.prompt, g.prompt);
    EXPECT_EQ(back.negative_prompt, "blurry");
    EXPECT_EQ(back.width, 512);
    EXPECT_EQ(back.height, 768);
    EXPECT_EQ(back.steps, 9);
    EXPECT_FLOAT_EQ(*back.guidance, 4.5f);
    EXPECT_EQ(*back.seed, 18446744073709551615ull);
}

TEST(RunnerProtocol, OptionalFieldsStayAbsent) {
    GenerateCommand g;
    g.id = 1;
    g.prompt = "x";
    const json j = json::parse(serialize(Command{g}));
    EXPECT_FALSE(j.contains("seed"));
    EXPECT_FALSE(j.contains("guidance"));
    EXPECT_FALSE(j.contains("negative_prompt"));
    const auto back = std::get<GenerateCommand>(parse_command(j.dump()));
    EXPECT_FALSE(back.seed);
    EXPECT_FALSE(back.guidance);
    EXPECT_EQ(back.width, 0);
}

TEST(RunnerProtocol, Cancel) {
    EXPECT_EQ(serialize(Command{CancelCommand{42}}), R"({"cancel":42})");
    EXPECT_EQ(std::get<CancelCommand>(parse_command(R"({"cancel":42})")).id, 42u);
}

TEST(RunnerProtocol, BadCommandsAreRejected) {
    for (const char* bad : {"", "null", "[1]", "{}", R"({"id":"x","prompt":"p"})", R"({"id":1})",
                            R"({"id":1,"prompt":5})", "{not json"}) {
        try {
            parse_command(bad);
            ADD_FAILURE() << bad;
        } catch (const Error& e) {
            EXPECT_EQ(e.kind(), ErrorKind::InvalidArgument) << bad;
        }
    }
}

TEST(RunnerProtocol, EventsRoundTrip) {
    const std::vector<Event> events = {
        LoadingEvent{},
        ReadyEvent{{1024, 768, 8, 0.5f}, 123456789012ull},
        LoadFailedEvent{"model 'x' not found", ErrorKind::NotFound},
        PhaseEvent{3, PhaseEvent::Phase::Text},
        StepEvent{3, 0, 8},
        StepEvent{3, 8, 8},
        PhaseEvent{3, PhaseEvent::Phase::Decode},
        ImageEvent{3, "iVBORw0KGgo=", 99, 64, 64, 2},
        FailedEvent{4, "request canceled", ErrorKind::Cancelled},
    };
    for (const auto& e : events) {
        const std::string line = serialize(e);
        const Event back = parse_event(line);
        EXPECT_EQ(back.index(), e.index()) << line;
        EXPECT_EQ(serialize(back), line);
    }
}

TEST(RunnerProtocol, WireShapes) {
    // What the brief promises, byte for byte, so other implementations can speak it.
    EXPECT_EQ(serialize(Event{LoadingEvent{}}), R"({"phase":"loading"})");
    EXPECT_EQ(serialize(Event{StepEvent{5, 2, 8}}), R"({"id":5,"step":2,"total":8})");
    EXPECT_EQ(serialize(Event{PhaseEvent{5, PhaseEvent::Phase::Decode}}), R"({"id":5,"phase":"decode"})");
    const json ready = json::parse(serialize(Event{ReadyEvent{{64, 64, 4, 0.0f}, 10}}));
    EXPECT_EQ(ready["ready"], true);
    EXPECT_EQ(ready["defaults"]["width"], 64);
    EXPECT_EQ(ready["memory_estimate"], 10);
    const json done = json::parse(serialize(Event{FailedEvent{5, "boom", ErrorKind::InvalidArgument}}));
    EXPECT_EQ(done, json({{"id", 5}, {"done", true}, {"error", "boom"}, {"kind", "InvalidArgument"}}));
}

TEST(RunnerProtocol, UnknownKindIsInternal) {
    const auto e = std::get<FailedEvent>(parse_event(R"({"id":1,"done":true,"error":"x","kind":"Weird"})"));
    EXPECT_EQ(e.kind, ErrorKind::Internal);
    for (ErrorKind k : {ErrorKind::InvalidArgument, ErrorKind::NotFound, ErrorKind::Corrupt, ErrorKind::Io,
                        ErrorKind::Unavailable, ErrorKind::Cancelled, ErrorKind::Unsupported, ErrorKind::Internal})
        EXPECT_EQ(kind_from_name(kind_name(k)), k);
}

TEST(RunnerProtocol, UnknownEventsAreRejected) {
    for (const char* bad : {R"({"id":1})", R"({"phase":"dancing"})", R"({"id":1,"done":true})", "[]"}) {
        EXPECT_THROW(parse_event(bad), Error) << bad;
    }
}

}  // namespace
}  // namespace pictor::runner
