// Tests of the C wrapper alone. A C++ dispatcher stands in for the Go / Rust host.
// Each test states the requirement it checks first.
#include "luau_wrapper.h"

#include <gtest/gtest.h>

#include <cstring>
#include <functional>
#include <map>
#include <string>

namespace {

using HostFn = std::function<int32_t(luaw_Call*)>;

// The stand-in host: function id -> C++ function. Mirrors what the bindings do.
struct TestHost {
    std::map<uint64_t, HostFn> functions;
    uint64_t next_id = 1;
    int calls = 0;

    static int32_t dispatch(uintptr_t ctx, luaw_Call* call)
    {
        TestHost* host = reinterpret_cast<TestHost*>(ctx);
        host->calls++;
        auto it = host->functions.find(call->function_id);
        if (it == host->functions.end())
            return fail(call, "function '" + std::string(call->name, call->name_len) + "' is not registered");
        return it->second(call);
    }

    // Writes msg into the call's scratch and reports it as the error.
    static int32_t fail(luaw_Call* call, const std::string& msg, uint64_t token = 0, int32_t code = LUAW_CB_ERROR)
    {
        EXPECT_EQ(luaw_call_reserve_scratch(call, msg.size()), LUAW_OK);
        char* dst = call->scratch + call->scratch_len;
        std::memcpy(dst, msg.data(), msg.size());
        call->scratch_len += msg.size();
        call->error_message = dst;
        call->error_message_len = msg.size();
        call->error_token = token;
        return code;
    }

    static void return_number(luaw_Call* call, double n)
    {
        call->results[call->nresults].type = LUAW_TNUMBER;
        call->results[call->nresults].u.number = n;
        call->nresults++;
    }
};

class Wrapper : public ::testing::Test {
protected:
    luaw_State* S = nullptr;
    TestHost host;
    luaw_Error err{};

    void SetUp() override { S = make_state(0); }
    void TearDown() override
    {
        if (S)
        {
            EXPECT_EQ(luaw_close(S), LUAW_OK);
        }
    }

    luaw_State* make_state(size_t memory_limit)
    {
        luaw_Options opts{LUAW_ABI_VERSION, memory_limit, 1};
        int32_t status = -1;
        luaw_State* state = luaw_new(&opts, &status);
        EXPECT_NE(state, nullptr);
        EXPECT_EQ(status, LUAW_OK);
        luaw_set_dispatch(state, &TestHost::dispatch, reinterpret_cast<uintptr_t>(&host));
        return state;
    }

    void reg(const std::string& name, HostFn fn)
    {
        uint64_t id = host.next_id++;
        host.functions[id] = std::move(fn);
        ASSERT_EQ(luaw_register_function(S, name.data(), name.size(), id, &err), LUAW_OK);
    }

    int32_t run(const std::string& src, int32_t* nres = nullptr)
    {
        int32_t n = 0;
        int32_t rc = luaw_dostring(S, src.data(), src.size(), "test", 4, &n, &err);
        if (nres)
            *nres = n;
        return rc;
    }

    std::string message() const { return std::string(err.message, err.message_len); }
    std::string traceback() const { return std::string(err.traceback, err.traceback_len); }

    double number_at(int idx)
    {
        luaw_Value v{};
        EXPECT_EQ(luaw_read_values(S, idx, 1, &v), LUAW_OK);
        EXPECT_EQ(v.type, LUAW_TNUMBER);
        return v.u.number;
    }
    std::string string_at(int idx)
    {
        luaw_Value v{};
        EXPECT_EQ(luaw_read_values(S, idx, 1, &v), LUAW_OK);
        EXPECT_EQ(v.type, LUAW_TSTRING);
        return std::string(v.u.string.ptr, v.u.string.len);
    }
};

TEST(Build, AbiVersionAndBuildInfoMatchTheHeader)
{
    // Requirement: the bindings can check the library they link against.
    EXPECT_EQ(luaw_abi_version(), (uint32_t)LUAW_ABI_VERSION);
    luaw_BuildInfo info{};
    luaw_build_info(&info);
    EXPECT_EQ(info.abi_version, (uint32_t)LUAW_ABI_VERSION);
    EXPECT_EQ(info.max_cstack, 8000);
    EXPECT_EQ(info.vector_size, 3);
    EXPECT_STREQ(info.luau_version, "0.745");
#ifdef LUAW_EXPECT_LONGJMP
    EXPECT_EQ(info.uses_longjmp, LUAW_EXPECT_LONGJMP); // the error mode this build asked for
#endif
}

TEST(Build, WrongAbiVersionIsRefused)
{
    // Requirement: a binding built for another ABI gets a status, not a corrupted state.
    luaw_Options opts{LUAW_ABI_VERSION + 1, 0, 1};
    int32_t status = 0;
    EXPECT_EQ(luaw_new(&opts, &status), nullptr);
    EXPECT_EQ(status, LUAW_ERRABI);
}

TEST_F(Wrapper, DostringReturnsResults)
{
    int32_t n = 0;
    ASSERT_EQ(run("return 1 + 2, 'x'", &n), LUAW_OK) << message();
    ASSERT_EQ(n, 2);
    EXPECT_EQ(number_at(1), 3);
    EXPECT_EQ(string_at(2), "x");
}

TEST_F(Wrapper, CompileErrorHasLineNumber)
{
    // Requirement: a syntax error is LUAW_ERRSYNTAX and its message names the line.
    char* out = nullptr;
    size_t len = 0;
    const char* src = "local a = 1\nlocal b = 2\nlocal = 3\n";
    ASSERT_EQ(luaw_compile(src, std::strlen(src), nullptr, &out, &len), LUAW_ERRSYNTAX);
    std::string msg(out, len);
    luaw_free(out);
    EXPECT_NE(msg.find(":3:"), std::string::npos) << msg;

    ASSERT_EQ(run(src), LUAW_ERRSYNTAX);
    EXPECT_NE(message().find("[string \"test\"]:3:"), std::string::npos) << message();
    EXPECT_EQ(luaw_gettop(S), 0);
}

TEST_F(Wrapper, CompileThenLoadRunsBytecode)
{
    char* bc = nullptr;
    size_t len = 0;
    luaw_CompileOptions opts{2, 1};
    ASSERT_EQ(luaw_compile("return 40 + 2", 13, &opts, &bc, &len), LUAW_OK);
    ASSERT_EQ(luaw_load(S, "bc", 2, bc, len, &err), LUAW_OK) << message();
    luaw_free(bc);
    ASSERT_EQ(luaw_pcall(S, 0, 1, &err), LUAW_OK) << message();
    EXPECT_EQ(number_at(-1 + luaw_gettop(S) + 1), 42);
}

TEST_F(Wrapper, RuntimeErrorHasTraceback)
{
    // Requirement: a runtime error is LUAW_ERRRUN with the message and a traceback naming
    // the Luau functions on the stack.
    ASSERT_EQ(run("local function inner() error('boom') end\n"
                  "local function outer() inner() end\n"
                  "outer()\n"),
              LUAW_ERRRUN);
    EXPECT_NE(message().find("boom"), std::string::npos) << message();
    EXPECT_NE(message().find(":1:"), std::string::npos) << message();
    std::string tb = traceback();
    EXPECT_NE(tb.find("stack traceback:"), std::string::npos) << tb;
    EXPECT_NE(tb.find("inner"), std::string::npos) << tb;
    EXPECT_NE(tb.find("outer"), std::string::npos) << tb;
    EXPECT_EQ(luaw_gettop(S), 0);
}

TEST_F(Wrapper, HostFunctionArgumentsAndResults)
{
    // Requirement: arguments arrive in C memory, results are pushed after the host returned.
    reg("add", [](luaw_Call* call) {
        EXPECT_EQ(call->nargs, 2);
        TestHost::return_number(call, call->args[0].u.number + call->args[1].u.number);
        return LUAW_CB_OK;
    });
    reg("echo_string", [](luaw_Call* call) {
        call->results[0] = call->args[0]; // borrowed Luau string, pushed back as a copy
        call->nresults = 1;
        return LUAW_CB_OK;
    });
    int32_t n = 0;
    ASSERT_EQ(run("return add(2, 3), echo_string('a\\0b')", &n), LUAW_OK) << message();
    EXPECT_EQ(number_at(1), 5);
    EXPECT_EQ(string_at(2), std::string("a\0b", 3));
}

TEST_F(Wrapper, HostErrorIsCatchableByPcall)
{
    // Requirement: a host error becomes a Luau error with the host's message that pcall catches.
    reg("fail", [](luaw_Call* call) { return TestHost::fail(call, "host said no", 7); });
    int32_t n = 0;
    ASSERT_EQ(run("local ok, e = pcall(fail) return ok, e", &n), LUAW_OK) << message();
    luaw_Value v[2];
    ASSERT_EQ(luaw_read_values(S, 1, 2, v), LUAW_OK);
    EXPECT_EQ(v[0].type, LUAW_TBOOLEAN);
    EXPECT_EQ(v[0].u.boolean, 0);
    EXPECT_EQ(std::string(v[1].u.string.ptr, v[1].u.string.len), "host said no");
}

TEST_F(Wrapper, HostErrorEscapesWithItsToken)
{
    // Requirement: an uncaught host error reaches the caller as LUAW_ERRHOST with the token
    // the host gave, so the binding can return the original error object.
    reg("fail", [](luaw_Call* call) { return TestHost::fail(call, "host said no", 42); });
    ASSERT_EQ(run("fail()"), LUAW_ERRHOST);
    EXPECT_EQ(err.host_token, 42u);
    EXPECT_EQ(message(), "host said no");
    // A host error without a token (e.g. "not registered") stays a plain runtime error.
    reg("anonymous", [](luaw_Call* call) { return TestHost::fail(call, "no token"); });
    ASSERT_EQ(run("anonymous()"), LUAW_ERRRUN);
    EXPECT_EQ(err.host_token, 0u);
    // A script error with the very same text as a caught host error is the script's own.
    ASSERT_EQ(run("pcall(fail) error('host said no', 0)"), LUAW_ERRRUN);
    EXPECT_EQ(err.host_token, 0u);
    EXPECT_EQ(message(), "host said no");
    // Re-raising the caught message is a new, script-raised error too.
    ASSERT_EQ(run("local ok, e = pcall(fail) error(e, 0)"), LUAW_ERRRUN);
    EXPECT_EQ(err.host_token, 0u);
    // A script error that merely looks different is not the host's.
    ASSERT_EQ(run("local ok, e = pcall(fail) error('wrapped: ' .. e)"), LUAW_ERRRUN);
    EXPECT_EQ(err.host_token, 0u);
}

TEST_F(Wrapper, PanicSurvivesAScriptPcall)
{
    // Requirement: a host panic reaches the outermost caller as LUAW_ERRPANIC even when the
    // script's pcall swallowed it and tried to carry on.
    reg("boom", [](luaw_Call* call) { return TestHost::fail(call, "kaboom", 99, LUAW_CB_PANIC); });
    int after_calls = 0;
    reg("after", [&after_calls](luaw_Call* call) {
        after_calls++;
        TestHost::return_number(call, 1);
        return LUAW_CB_OK;
    });
    ASSERT_EQ(run("local ok = pcall(boom)\nafter()\nreturn 'kept running'"), LUAW_ERRPANIC);
    EXPECT_EQ(after_calls, 0) << "the script ran on after swallowing a panic";
    EXPECT_EQ(err.host_token, 99u);
    EXPECT_NE(message().find("host function 'boom' panicked: kaboom"), std::string::npos) << message();
    EXPECT_EQ(luaw_gettop(S), 0);
    // The panic belonged to that call only: the state is usable again.
    ASSERT_EQ(run("return after()"), LUAW_OK) << message();
}

TEST_F(Wrapper, PanicInNestedHostCallReachesOutermost)
{
    // Requirement: a panic below a nested host -> Luau call is reported to the outer host
    // call (as LUAW_ERRPANIC) and to the outermost caller, even if the outer host ignores it.
    reg("boom", [](luaw_Call* call) { return TestHost::fail(call, "deep", 5, LUAW_CB_PANIC); });
    int32_t nested_status = -1;
    reg("outer", [this, &nested_status](luaw_Call*) {
        luaw_Error e{};
        int32_t t = 0;
        luaw_getglobal(S, "inner", 5, &t, &e);
        nested_status = luaw_pcall(S, 0, 0, &e);
        return LUAW_CB_OK; // ignores the nested failure
    });
    ASSERT_EQ(run("function inner() pcall(boom) end\nouter()\nreturn 1"), LUAW_ERRPANIC);
    EXPECT_EQ(nested_status, LUAW_ERRPANIC);
    EXPECT_EQ(err.host_token, 5u);
}

TEST_F(Wrapper, NestedHostLuauHostToDepth50)
{
    // Requirement: host -> Luau -> host nesting works to depth 50.
    int max_depth = 0;
    reg("descend", [this, &max_depth](luaw_Call* call) {
        int depth = (int)call->args[0].u.number;
        max_depth = std::max(max_depth, luaw_host_depth(S));
        if (depth > 0)
        {
            luaw_Error e{};
            luaw_Value arg{};
            arg.type = LUAW_TNUMBER;
            arg.u.number = depth - 1;
            int32_t nres = 0;
            int32_t rc = luaw_call_global(S, "recurse", 7, &arg, 1, 1, &nres, &e);
            if (rc != LUAW_OK)
                return TestHost::fail(call, std::string(e.message, e.message_len));
            luaw_Value v{};
            luaw_read_values(S, luaw_gettop(S), 1, &v);
            TestHost::return_number(call, v.u.number + 1);
            return LUAW_CB_OK;
        }
        TestHost::return_number(call, 0);
        return LUAW_CB_OK;
    });
    ASSERT_EQ(run("function recurse(n) return descend(n) end\nreturn recurse(50)"), LUAW_OK) << message();
    EXPECT_EQ(number_at(1), 50);
    EXPECT_EQ(max_depth, 51);
    EXPECT_EQ(luaw_host_depth(S), 0);
}

TEST_F(Wrapper, NestingPastTheCStackLimitIsACleanError)
{
    // Requirement: unbounded host -> Luau -> host recursion ends with a catchable
    // "C stack overflow" error, not a crash.
    reg("descend", [this](luaw_Call* call) {
        luaw_Error e{};
        int32_t t = 0;
        luaw_getglobal(S, "recurse", 7, &t, &e);
        int32_t rc = luaw_pcall(S, 0, 0, &e);
        if (rc != LUAW_OK)
            return TestHost::fail(call, std::string(e.message, e.message_len));
        return LUAW_CB_OK;
    });
    ASSERT_NE(run("function recurse() descend() end\nrecurse()"), LUAW_OK);
    EXPECT_NE(message().find("stack overflow"), std::string::npos) << message();
    EXPECT_EQ(luaw_host_depth(S), 0);
    ASSERT_EQ(run("return 1"), LUAW_OK) << message(); // still usable
}

TEST(Memory, OutOfMemoryUnderBudgetThenUsable)
{
    // Requirement: exceeding the memory limit is LUAW_ERRMEM, and afterwards the state works.
    luaw_Options opts{LUAW_ABI_VERSION, 4u << 20, 1};
    luaw_State* S = luaw_new(&opts, nullptr);
    ASSERT_NE(S, nullptr);
    luaw_Error err{};
    const char* hog = "local t = {} for i = 1, 1e8 do t[i] = string.rep('x', 64) .. i end";
    int32_t n = 0;
    EXPECT_EQ(luaw_dostring(S, hog, std::strlen(hog), "hog", 3, &n, &err), LUAW_ERRMEM);
    EXPECT_LE(luaw_memory_used(S), (size_t)(4u << 20));
    const char* ok = "return #string.rep('y', 1000)";
    ASSERT_EQ(luaw_dostring(S, ok, std::strlen(ok), "ok", 2, &n, &err), LUAW_OK) << err.message;
    EXPECT_EQ(luaw_close(S), LUAW_OK);
}

TEST_F(Wrapper, HostErrorIsNotMaskedByTheMemoryLimit)
{
    // Requirement: a host error raised while the state is at its memory limit still arrives
    // as the host's error, not as an out-of-memory error.
    reg("fail", [this](luaw_Call* call) {
        luaw_set_memory_limit(S, 1); // from now on every growth of the Luau heap fails
        return TestHost::fail(call, std::string(200, 'e'), 3);
    });
    int32_t rc = run("fail()");
    EXPECT_EQ(rc, LUAW_ERRHOST) << message();
    EXPECT_EQ(err.host_token, 3u);
    luaw_set_memory_limit(S, 0);
}

TEST_F(Wrapper, BadStackIndexIsAStatus)
{
    // Requirement: misuse gives LUAW_ERRARG, never an abort or corruption (this test also
    // runs with Luau's API asserts on).
    luaw_Value v{};
    EXPECT_EQ(luaw_read_values(S, 1, 1, &v), LUAW_ERRARG);
    EXPECT_EQ(luaw_read_values(S, 0, 1, &v), LUAW_ERRARG);
    EXPECT_EQ(luaw_type(S, 5), LUAW_TNONE);
    EXPECT_EQ(luaw_getfield(S, 3, "x", 1, nullptr, &err), LUAW_ERRARG);
    EXPECT_EQ(luaw_setfield(S, -1, "x", 1, &err), LUAW_ERRARG);
    EXPECT_EQ(luaw_pcall(S, 2, 0, &err), LUAW_ERRARG);
    EXPECT_EQ(luaw_settop(S, -5), LUAW_ERRARG);
    EXPECT_EQ(luaw_next(S, 1, nullptr, &err), LUAW_ERRARG);
    uint64_t id = 0;
    EXPECT_EQ(luaw_function_id(S, 1, &id), LUAW_ERRARG);
    luaw_Value bad{};
    bad.type = LUAW_TSTACK;
    bad.stack_index = 9;
    EXPECT_EQ(luaw_push_values(S, &bad, 1, &err), LUAW_ERRARG);
    EXPECT_EQ(luaw_push_function(S, 0, "f", 1, &err), LUAW_ERRARG);
    EXPECT_EQ(luaw_gettop(S), 0);
}

TEST_F(Wrapper, WrapperErrorAfterACaughtHostErrorIsNotTheHosts)
{
    // Requirement: an error the trampoline raises for a bad result (not the host's error)
    // is a runtime error even right after a host error was caught.
    reg("fail", [](luaw_Call* call) { return TestHost::fail(call, "caught", 8); });
    reg("weird", [](luaw_Call* call) {
        call->results[0].type = 42;
        call->nresults = 1;
        return LUAW_CB_OK;
    });
    ASSERT_EQ(run("pcall(fail)\nweird()"), LUAW_ERRRUN);
    EXPECT_EQ(err.host_token, 0u);
    EXPECT_NE(message().find("unsupported type 42"), std::string::npos) << message();
}

TEST_F(Wrapper, HostReturningABadStackIndexIsALuauError)
{
    reg("bad", [](luaw_Call* call) {
        call->results[0].type = LUAW_TSTACK;
        call->results[0].stack_index = 1000;
        call->nresults = 1;
        return LUAW_CB_OK;
    });
    ASSERT_EQ(run("bad()"), LUAW_ERRRUN);
    EXPECT_NE(message().find("invalid stack index"), std::string::npos) << message();
}

TEST_F(Wrapper, CloseFromInsideACallbackIsBusy)
{
    // Requirement: closing the state from inside its own host function is refused.
    int32_t close_status = -1;
    reg("close_me", [this, &close_status](luaw_Call*) {
        close_status = luaw_close(S);
        return LUAW_CB_OK;
    });
    ASSERT_EQ(run("close_me() return 1"), LUAW_OK) << message();
    EXPECT_EQ(close_status, LUAW_ERRBUSY);
}

TEST_F(Wrapper, TablesThroughProtectedOps)
{
    // Requirement: a host function can read a table argument through protected calls, and
    // a metamethod error comes back as a status.
    reg("sum", [this](luaw_Call* call) {
        EXPECT_EQ(call->args[0].type, LUAW_TTABLE);
        size_t n = 0;
        EXPECT_EQ(luaw_rawlen(S, 1, &n), LUAW_OK);
        double total = 0;
        luaw_Error e{};
        for (size_t i = 1; i <= n; ++i)
        {
            int32_t t = 0;
            EXPECT_EQ(luaw_geti(S, 1, (int64_t)i, &t, &e), LUAW_OK);
            luaw_Value v{};
            luaw_read_values(S, luaw_gettop(S), 1, &v);
            total += v.u.number;
            luaw_settop(S, -2);
        }
        TestHost::return_number(call, total);
        return LUAW_CB_OK;
    });
    reg("touch", [this](luaw_Call* call) {
        luaw_Error e{};
        int32_t t = 0;
        int32_t rc = luaw_getfield(S, 1, "x", 1, &t, &e);
        if (rc != LUAW_OK)
            return TestHost::fail(call, "caught: " + std::string(e.message, e.message_len), 11);
        return LUAW_CB_OK;
    });
    ASSERT_EQ(run("return sum({1, 2, 3.5})"), LUAW_OK) << message();
    EXPECT_EQ(number_at(1), 6.5);
    luaw_settop(S, 0);
    ASSERT_EQ(run("touch(setmetatable({}, {__index = function() error('meta!') end}))"), LUAW_ERRHOST);
    EXPECT_NE(message().find("caught:"), std::string::npos);
    EXPECT_NE(message().find("meta!"), std::string::npos);
}

TEST_F(Wrapper, FunctionIdAndRegistryOps)
{
    reg("f", [](luaw_Call*) { return LUAW_CB_OK; });
    int32_t t = 0;
    ASSERT_EQ(luaw_getglobal(S, "f", 1, &t, &err), LUAW_OK);
    EXPECT_EQ(t, LUAW_TFUNCTION);
    uint64_t id = 0;
    ASSERT_EQ(luaw_function_id(S, -1, &id), LUAW_OK);
    EXPECT_EQ(id, 1u);
    int32_t ref = 0;
    ASSERT_EQ(luaw_ref(S, -1, &ref, &err), LUAW_OK);
    luaw_settop(S, 0);
    ASSERT_EQ(luaw_push_ref(S, ref), LUAW_OK);
    EXPECT_EQ(luaw_type(S, 1), LUAW_TFUNCTION);
    luaw_unref(S, ref);
}

TEST_F(Wrapper, NamesAreExactBytes)
{
    // Requirement: any name works, including "", special characters, Unicode, embedded NUL.
    const std::string names[] = {"", "with space.and-dash", "\xe5\x90\x8d\xe5\x89\x8d", std::string("nul\0byte", 8)};
    for (const std::string& name : names)
        reg(name, [](luaw_Call* call) {
            TestHost::return_number(call, 7);
            return LUAW_CB_OK;
        });
    ASSERT_EQ(run("return _G[''](), _G['with space.and-dash'](), _G['\xe5\x90\x8d\xe5\x89\x8d'](), _G['nul\\0byte']()"),
              LUAW_OK)
        << message();
    for (int i = 1; i <= 4; ++i)
        EXPECT_EQ(number_at(i), 7);
}

TEST_F(Wrapper, ManyResultsAndLargeStrings)
{
    // Requirement: more results than the inline buffer and strings larger than the scratch.
    reg("many", [](luaw_Call* call) {
        EXPECT_EQ(luaw_call_reserve_results(call, 100), LUAW_OK);
        for (int i = 0; i < 100; ++i)
            TestHost::return_number(call, i);
        return LUAW_CB_OK;
    });
    reg("big", [](luaw_Call* call) {
        size_t n = 16u << 20;
        EXPECT_EQ(luaw_call_reserve_scratch(call, n), LUAW_OK);
        char* p = call->scratch + call->scratch_len;
        std::memset(p, 'z', n);
        call->scratch_len += n;
        call->results[0].type = LUAW_TSTRING;
        call->results[0].u.string.ptr = p;
        call->results[0].u.string.len = n;
        call->nresults = 1;
        return LUAW_CB_OK;
    });
    ASSERT_EQ(run("return select('#', many()), #big()"), LUAW_OK) << message();
    EXPECT_EQ(number_at(1), 100);
    EXPECT_EQ(number_at(2), 16 << 20);
}

TEST_F(Wrapper, ScratchGrowthRebasesEarlierResults)
{
    // Requirement: growing the scratch keeps result strings written before the growth.
    reg("two", [](luaw_Call* call) {
        char* p = call->scratch;
        std::memcpy(p, "first", 5);
        call->scratch_len = 5;
        call->results[0].type = LUAW_TSTRING;
        call->results[0].u.string.ptr = p;
        call->results[0].u.string.len = 5;
        call->nresults = 1;
        EXPECT_EQ(luaw_call_reserve_scratch(call, 1u << 20), LUAW_OK);
        char* q = call->scratch + call->scratch_len;
        std::memcpy(q, "second", 6);
        call->scratch_len += 6;
        call->results[1].type = LUAW_TSTRING;
        call->results[1].u.string.ptr = q;
        call->results[1].u.string.len = 6;
        call->nresults = 2;
        return LUAW_CB_OK;
    });
    ASSERT_EQ(run("return two()"), LUAW_OK) << message();
    EXPECT_EQ(string_at(1), "first");
    EXPECT_EQ(string_at(2), "second");
}

TEST_F(Wrapper, PrintNeverReachesStdoutWithoutASink)
{
    // Requirement: the library never writes to the host's stdout: print exists (scripts that
    // print keep working) and, with no sink installed, discards its output.
    ASSERT_EQ(run("print('discarded') return type(print) == 'function'"), LUAW_OK);
    luaw_Value v{};
    luaw_read_values(S, 1, 1, &v);
    EXPECT_EQ(v.u.boolean, 1);
}

TEST(Lifecycle, CloseNullIsOk)
{
    EXPECT_EQ(luaw_close(nullptr), LUAW_OK);
    EXPECT_EQ(luaw_gettop(nullptr), -1);
    luaw_Error err{};
    EXPECT_EQ(luaw_pcall(nullptr, 0, 0, &err), LUAW_ERRARG);
}

} // namespace

namespace {

TEST_F(Wrapper, HostUserdataMetatableConstructorAndRelease)
{
    // Requirement: a host object crosses as (type, handle) userdata with its type's
    // metatable; methods reach the host with the handle; collected objects are reported
    // released exactly once; a foreign userdata has handle 0.
    const uint32_t kVec = 5;
    reg("new_vec", [](luaw_Call* call) {
        call->results[0].type = LUAW_TUSERDATA;
        call->results[0].u.userdata.type_id = kVec;
        call->results[0].u.userdata.handle = (uint64_t)call->args[0].u.number;
        call->nresults = 1;
        return LUAW_CB_OK;
    });
    reg("handle_of", [](luaw_Call* call) {
        if (call->args[0].type != LUAW_TUSERDATA)
            return TestHost::fail(call, "not userdata", 1);
        TestHost::return_number(call, (double)call->args[0].u.userdata.handle);
        TestHost::return_number(call, (double)call->args[0].u.userdata.type_id);
        return LUAW_CB_OK;
    });
    // metatable { __index = { id = handle_of } }
    ASSERT_EQ(luaw_newtable(S, 0, 1, &err), LUAW_OK);
    ASSERT_EQ(luaw_newtable(S, 0, 1, &err), LUAW_OK);
    int32_t t = 0;
    ASSERT_EQ(luaw_getglobal(S, "handle_of", 9, &t, &err), LUAW_OK);
    ASSERT_EQ(luaw_setfield(S, -2, "id", 2, &err), LUAW_OK);
    ASSERT_EQ(luaw_setfield(S, -2, "__index", 7, &err), LUAW_OK);
    ASSERT_EQ(luaw_set_userdata_type(S, kVec, "Vec", 3, &err), LUAW_OK) << message();
    EXPECT_EQ(luaw_gettop(S), 0);

    int32_t n = 0;
    ASSERT_EQ(run("local v = new_vec(42)\nlocal h, ty = v:id()\nreturn typeof(v), h, ty, select(2, handle_of(newproxy()))", &n), LUAW_OK)
        << message();
    luaw_Value v[4];
    ASSERT_EQ(luaw_read_values(S, 1, 4, v), LUAW_OK);
    EXPECT_EQ(std::string(v[0].u.string.ptr, v[0].u.string.len), "Vec");
    EXPECT_EQ(v[1].u.number, 42);
    EXPECT_EQ(v[2].u.number, kVec);
    EXPECT_EQ(v[3].u.number, 0); // newproxy: not ours
    luaw_settop(S, 0);

    ASSERT_EQ(luaw_push_userdata(S, kVec, 7, &err), LUAW_OK);
    luaw_Value pushed{};
    ASSERT_EQ(luaw_read_values(S, 1, 1, &pushed), LUAW_OK);
    EXPECT_EQ(pushed.u.userdata.handle, 7u);
    luaw_settop(S, 0);
    EXPECT_EQ(luaw_push_userdata(S, 999, 7, &err), LUAW_ERRRUN); // unknown type
    EXPECT_EQ(luaw_gettop(S), 0);

    ASSERT_EQ(luaw_gc_collect(S), LUAW_OK);
    ASSERT_EQ(luaw_released_count(S), 2u);
    uint64_t released[4] = {};
    ASSERT_EQ(luaw_drain_released(S, released, 4), 2u);
    EXPECT_EQ(released[0] + released[1], 42u + 7u);
    EXPECT_EQ(luaw_released_count(S), 0u);
    ASSERT_EQ(luaw_gc_collect(S), LUAW_OK);
    EXPECT_EQ(luaw_released_count(S), 0u); // exactly once
}

} // namespace

namespace {

TEST_F(Wrapper, CallRefInOneCrossing)
{
    // Requirement: a host can call a Luau function it holds by reference with arguments in
    // one call, getting results on the stack or a status (with traceback) and a clean stack.
    int32_t n = 0;
    ASSERT_EQ(run("return function(a, s) if a < 0 then error('negative') end return a * 2, s .. '!' end", &n), LUAW_OK);
    int32_t ref = 0;
    ASSERT_EQ(luaw_ref(S, -1, &ref, &err), LUAW_OK);
    luaw_settop(S, 0);
    luaw_Value args[2]{};
    args[0].type = LUAW_TNUMBER;
    args[0].u.number = 21;
    args[1].type = LUAW_TSTRING;
    args[1].u.string.ptr = "hi";
    args[1].u.string.len = 2;
    ASSERT_EQ(luaw_call_ref(S, ref, args, 2, LUAW_MULTRET, &n, &err), LUAW_OK) << message();
    ASSERT_EQ(n, 2);
    EXPECT_EQ(number_at(1), 42);
    EXPECT_EQ(string_at(2), "hi!");
    luaw_settop(S, 0);
    args[0].u.number = -1;
    ASSERT_EQ(luaw_call_ref(S, ref, args, 2, 1, &n, &err), LUAW_ERRRUN);
    EXPECT_NE(message().find("negative"), std::string::npos);
    EXPECT_NE(traceback().find("stack traceback:"), std::string::npos);
    EXPECT_EQ(luaw_gettop(S), 0);
    EXPECT_EQ(luaw_call_ref(S, 0, args, 2, 1, &n, &err), LUAW_ERRARG);
    luaw_Value bad{};
    bad.type = LUAW_TSTACK;
    bad.stack_index = 5;
    EXPECT_EQ(luaw_call_ref(S, ref, &bad, 1, 1, &n, &err), LUAW_ERRARG);
    EXPECT_EQ(luaw_gettop(S), 0);
}

TEST_F(Wrapper, CallRefReadReadsResultsAndPopsThemWhenCarriedByValue)
{
    // Requirement: luaw_call_ref_read calls and reads in one crossing. Results carried by
    // value are popped (the stack is as before); a string result stays on the stack, where
    // its borrowed pointer is valid, until the caller's settop; results beyond results_cap
    // are counted, not read; an error leaves the stack as before, with its traceback.
    int32_t n = 0;
    ASSERT_EQ(run("return function(a) if a < 0 then error('negative') end "
                  "if a == 0 then return 'zero', 1 end return a + 1, true, nil end",
                  &n),
              LUAW_OK);
    int32_t ref = 0;
    ASSERT_EQ(luaw_ref(S, -1, &ref, &err), LUAW_OK);
    luaw_settop(S, 0);
    luaw_Value arg{};
    arg.type = LUAW_TNUMBER;
    arg.u.number = 41;
    luaw_Value results[3]{};
    luaw_CallResult r{};
    ASSERT_EQ(luaw_call_ref_read(S, ref, &arg, 1, LUAW_MULTRET, results, 3, &r, &err), LUAW_OK) << message();
    EXPECT_EQ(r.base, 0);
    EXPECT_EQ(r.nresults, 3);
    EXPECT_EQ(r.nread, 3);
    EXPECT_EQ(r.popped, 1);
    EXPECT_EQ(results[0].type, LUAW_TNUMBER);
    EXPECT_EQ(results[0].u.number, 42);
    EXPECT_EQ(results[1].type, LUAW_TBOOLEAN);
    EXPECT_EQ(results[2].type, LUAW_TNIL);
    EXPECT_EQ(luaw_gettop(S), 0);

    arg.u.number = 0;
    ASSERT_EQ(luaw_call_ref_read(S, ref, &arg, 1, LUAW_MULTRET, results, 1, &r, &err), LUAW_OK) << message();
    EXPECT_EQ(r.nresults, 2);
    EXPECT_EQ(r.nread, 1);
    EXPECT_EQ(r.popped, 0);
    ASSERT_EQ(results[0].type, LUAW_TSTRING);
    EXPECT_EQ(std::string(results[0].u.string.ptr, results[0].u.string.len), "zero");
    EXPECT_EQ(luaw_gettop(S), 2);
    luaw_settop(S, r.base);

    arg.u.number = -1;
    ASSERT_EQ(luaw_call_ref_read(S, ref, &arg, 1, 1, results, 1, &r, &err), LUAW_ERRRUN);
    EXPECT_NE(message().find("negative"), std::string::npos);
    EXPECT_NE(traceback().find("stack traceback:"), std::string::npos);
    EXPECT_EQ(luaw_gettop(S), 0);
    EXPECT_EQ(luaw_call_ref_read(S, ref, &arg, 1, 1, results, 1, nullptr, &err), LUAW_ERRARG);
}

TEST_F(Wrapper, GcControlsStopRestartCountStepAndTuning)
{
    // Requirement: the host can drive Luau's collector (luaw_gc): stop and restart automatic
    // collection, read the heap size in KB + bytes consistently with luaw_memory_used, run a
    // full collection that frees garbage, step until a cycle finishes, and set the tuning
    // parameters (each returning the old value); a bad op or step size is LUAW_ERRARG.
    int32_t r = -1;
    ASSERT_EQ(luaw_gc(S, LUAW_GCISRUNNING, 0, &r), LUAW_OK);
    EXPECT_EQ(r, 1);
    ASSERT_EQ(luaw_gc(S, LUAW_GCSTOP, 0, &r), LUAW_OK);
    ASSERT_EQ(luaw_gc(S, LUAW_GCISRUNNING, 0, &r), LUAW_OK);
    EXPECT_EQ(r, 0);

    // Garbage made while stopped stays until a full collection.
    ASSERT_EQ(run("local t = {} for i = 1, 20000 do t[i] = {i} end t = nil"), LUAW_OK) << message();
    int32_t kb = 0, bytes = 0;
    ASSERT_EQ(luaw_gc(S, LUAW_GCCOUNT, 0, &kb), LUAW_OK);
    ASSERT_EQ(luaw_gc(S, LUAW_GCCOUNTB, 0, &bytes), LUAW_OK);
    EXPECT_EQ((size_t)kb * 1024 + (size_t)bytes, luaw_memory_used(S));
    ASSERT_EQ(luaw_gc(S, LUAW_GCCOLLECT, 0, &r), LUAW_OK);
    int32_t after = 0;
    ASSERT_EQ(luaw_gc(S, LUAW_GCCOUNT, 0, &after), LUAW_OK);
    EXPECT_LT(after, kb / 2) << "a full collection frees the garbage";
    ASSERT_EQ(luaw_gc(S, LUAW_GCISRUNNING, 0, &r), LUAW_OK);
    EXPECT_EQ(r, 1) << "as in Luau, a full collection re-arms automatic collection";

    ASSERT_EQ(luaw_gc(S, LUAW_GCSTOP, 0, &r), LUAW_OK);
    ASSERT_EQ(luaw_gc(S, LUAW_GCRESTART, 0, &r), LUAW_OK);
    ASSERT_EQ(luaw_gc(S, LUAW_GCISRUNNING, 0, &r), LUAW_OK);
    EXPECT_EQ(r, 1);

    // Steps report 1 exactly when they finish a cycle; a large step always does.
    ASSERT_EQ(run("garbage = {} for i = 1, 1000 do garbage[i] = {i} end garbage = nil"), LUAW_OK);
    int finished = 0;
    for (int i = 0; i < 1000 && finished == 0; ++i)
    {
        ASSERT_EQ(luaw_gc(S, LUAW_GCSTEP, 1, &r), LUAW_OK);
        ASSERT_TRUE(r == 0 || r == 1) << r;
        finished = r;
    }
    EXPECT_EQ(finished, 1);
    ASSERT_EQ(luaw_gc(S, LUAW_GCSTEP, 1000000, &r), LUAW_OK);
    EXPECT_EQ(r, 1);

    int32_t old = 0;
    ASSERT_EQ(luaw_gc(S, LUAW_GCSETGOAL, 150, &old), LUAW_OK);
    ASSERT_EQ(luaw_gc(S, LUAW_GCSETGOAL, old, &r), LUAW_OK);
    EXPECT_EQ(r, 150);
    ASSERT_EQ(luaw_gc(S, LUAW_GCSETSTEPMUL, 300, &old), LUAW_OK);
    ASSERT_EQ(luaw_gc(S, LUAW_GCSETSTEPMUL, old, &r), LUAW_OK);
    EXPECT_EQ(r, 300);
    ASSERT_EQ(luaw_gc(S, LUAW_GCSETSTEPSIZE, 4, &old), LUAW_OK);
    ASSERT_EQ(luaw_gc(S, LUAW_GCSETSTEPSIZE, old, &r), LUAW_OK);
    EXPECT_EQ(r, 4);

    r = 12345;
    EXPECT_EQ(luaw_gc(S, 99, 0, &r), LUAW_ERRARG);
    EXPECT_EQ(luaw_gc(S, -1, 0, &r), LUAW_ERRARG);
    EXPECT_EQ(luaw_gc(S, LUAW_GCSTEP, -1, &r), LUAW_ERRARG);
    EXPECT_EQ(r, 12345) << "a refused op leaves *result alone";
    EXPECT_EQ(luaw_gc(nullptr, LUAW_GCCOLLECT, 0, &r), LUAW_ERRARG);
    EXPECT_EQ(luaw_gc(S, LUAW_GCCOLLECT, 0, nullptr), LUAW_OK);
}

TEST_F(Wrapper, GcFromAHostFunctionInsideACoroutine)
{
    // Requirement: a host function running on a coroutine can drive the collector (a script's
    // collectgarbage): it acts on the calling thread, whose stack stays intact, and the
    // collection really happens (the script sees its weak table cleared).
    reg("collect", [this](luaw_Call* call) {
        int32_t r = -1;
        if (luaw_gc(S, LUAW_GCCOLLECT, 0, &r) != LUAW_OK)
            return TestHost::fail(call, "luaw_gc failed");
        int32_t kb = -1;
        if (luaw_gc(S, LUAW_GCCOUNT, 0, &kb) != LUAW_OK)
            return TestHost::fail(call, "luaw_gc failed");
        TestHost::return_number(call, kb);
        return LUAW_CB_OK;
    });
    ASSERT_EQ(run(R"(
        local weak = setmetatable({}, {__mode = "k"})
        local co = coroutine.wrap(function(a, b)
            weak[{}] = true
            local kb = collect()
            return a + b, kb, next(weak) == nil
        end)
        return co(40, 2)
    )",
                  nullptr),
        LUAW_OK)
        << message();
    EXPECT_EQ(number_at(1), 42) << "the coroutine's own values survive the call";
    EXPECT_GT(number_at(2), 0);
    luaw_Value cleared{};
    ASSERT_EQ(luaw_read_values(S, 3, 1, &cleared), LUAW_OK);
    EXPECT_EQ(cleared.type, LUAW_TBOOLEAN);
    EXPECT_EQ(cleared.u.boolean, 1);
}

TEST_F(Wrapper, LoadSourceLoadsOnTheCallingThreadsGlobals)
{
    // Requirement: a host function can compile source into a function and return it to Luau
    // (a host-side loadstring). The function is loaded on the calling thread, so its
    // environment is that thread's current globals (here a coroutine's, after setfenv(0, t));
    // a syntax error is LUAW_ERRSYNTAX naming the chunk, with nothing pushed.
    reg("load", [this](luaw_Call* call) {
        const int32_t top = luaw_gettop(S);
        luaw_Error e{};
        const luaw_Value& src = call->args[0];
        const bool named = call->nargs > 1;
        const char* name = named ? call->args[1].u.string.ptr : src.u.string.ptr;
        const size_t name_len = named ? call->args[1].u.string.len : src.u.string.len;
        int32_t rc = luaw_load_source(S, src.u.string.ptr, src.u.string.len, name, name_len, nullptr, &e);
        if (rc == LUAW_OK)
        {
            EXPECT_EQ(luaw_gettop(S), top + 1);
            call->results[0].type = LUAW_TSTACK;
            call->results[0].stack_index = luaw_gettop(S);
            call->nresults = 1;
            return LUAW_CB_OK;
        }
        EXPECT_EQ(rc, LUAW_ERRSYNTAX);
        EXPECT_EQ(luaw_gettop(S), top) << "nothing is pushed on a syntax error";
        std::string msg(e.message, e.message_len);
        EXPECT_EQ(luaw_call_reserve_scratch(call, msg.size()), LUAW_OK);
        char* dst = call->scratch + call->scratch_len;
        std::memcpy(dst, msg.data(), msg.size());
        call->scratch_len += msg.size();
        call->results[0].type = LUAW_TNIL;
        call->results[1].type = LUAW_TSTRING;
        call->results[1].u.string.ptr = dst;
        call->results[1].u.string.len = msg.size();
        call->nresults = 2;
        return LUAW_CB_OK;
    });
    ASSERT_EQ(run(R"(
        x = "main"
        local co = coroutine.wrap(function()
            setfenv(0, {x = "coroutine", load = load})
            return load("return x")()
        end)
        local f, msg = load("return = 1", "=bad")
        return load("return x")(), co(), f, msg
    )"),
        LUAW_OK)
        << message();
    EXPECT_EQ(string_at(1), "main");
    EXPECT_EQ(string_at(2), "coroutine");
    EXPECT_EQ(luaw_type(S, 3), LUAW_TNIL);
    EXPECT_EQ(string_at(4).rfind("bad:1:", 0), 0u) << string_at(4);

    // Outside a host function it pushes onto the main thread; the default name is "chunk".
    luaw_settop(S, 0);
    const char bad[] = "local = 1";
    EXPECT_EQ(luaw_load_source(S, bad, sizeof(bad) - 1, "", 0, nullptr, &err), LUAW_ERRSYNTAX);
    EXPECT_EQ(message().rfind("[string \"chunk\"]:1:", 0), 0u) << message();
    EXPECT_EQ(luaw_gettop(S), 0);
    luaw_CompileOptions o2{2, 1};
    const char good[] = "return 7";
    ASSERT_EQ(luaw_load_source(S, good, sizeof(good) - 1, "=seven", 6, &o2, &err), LUAW_OK);
    EXPECT_EQ(luaw_type(S, 1), LUAW_TFUNCTION);
    luaw_CompileOptions o9{9, 1};
    EXPECT_EQ(luaw_load_source(S, good, sizeof(good) - 1, "=seven", 6, &o9, &err), LUAW_ERRARG);
    EXPECT_EQ(luaw_gettop(S), 1);
}

TEST_F(Wrapper, LoadSourceOnASandboxedStateSharesTheCallersGlobals)
{
    // Requirement: on a sandboxed state a host-side loadstring sees and writes the calling
    // chunk's own globals (never the shared read-only table), _G included, both for a chunk
    // loaded with luaw_load and called, and for one run as a thread by luaw_dostring.
    reg("load", [this](luaw_Call* call) {
        const luaw_Value& src = call->args[0];
        luaw_Error e{};
        if (luaw_load_source(S, src.u.string.ptr, src.u.string.len, "=loaded", 7, nullptr, &e) != LUAW_OK)
            return TestHost::fail(call, std::string(e.message, e.message_len));
        call->results[0].type = LUAW_TSTACK;
        call->results[0].stack_index = luaw_gettop(S);
        call->nresults = 1;
        return LUAW_CB_OK;
    });
    ASSERT_EQ(luaw_sandbox(S, &err), LUAW_OK) << message();
    const std::string src = R"lua(
        x = 5
        function f() return 7 end
        local sum = load("_G.w = 1 return x + f()")()
        local z = load("z = 3 return _G.z")()
        return sum, z, w
    )lua";
    char* bc = nullptr;
    size_t bc_len = 0;
    ASSERT_EQ(luaw_compile(src.data(), src.size(), nullptr, &bc, &bc_len), LUAW_OK);
    ASSERT_EQ(luaw_load(S, "=main", 5, bc, bc_len, &err), LUAW_OK) << message();
    luaw_free(bc);
    ASSERT_EQ(luaw_pcall(S, 0, LUAW_MULTRET, &err), LUAW_OK) << message();
    EXPECT_EQ(number_at(1), 12);
    EXPECT_EQ(number_at(2), 3);
    EXPECT_EQ(number_at(3), 1);
    luaw_settop(S, 0);
    ASSERT_EQ(run(src), LUAW_OK) << message();
    EXPECT_EQ(number_at(1), 12);
    EXPECT_EQ(number_at(2), 3);
    EXPECT_EQ(number_at(3), 1);
    luaw_settop(S, 0);
    // Outside a host function the chunk gets its own globals, as luaw_load gives.
    const char own[] = "q = 1 return q";
    ASSERT_EQ(luaw_load_source(S, own, sizeof(own) - 1, "=own", 4, nullptr, &err), LUAW_OK);
    ASSERT_EQ(luaw_pcall(S, 0, 1, &err), LUAW_OK) << message();
    EXPECT_EQ(number_at(1), 1);
}

} // namespace
