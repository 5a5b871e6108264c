// Tests of containment (stop requests, deadlines, sandbox, print, locked host types) and
// threads (chunks as threads, host-driven resume, yielding host functions) in the wrapper.
// Each test states the requirement it checks first.
#include "luau_wrapper.h"

#include <gtest/gtest.h>

#include <chrono>
#include <cstring>
#include <functional>
#include <map>
#include <string>
#include <thread>

namespace {

using HostFn = std::function<int32_t(luaw_Call*)>;

struct Host {
    std::map<uint64_t, HostFn> functions;
    uint64_t next_id = 1;

    static int32_t dispatch(uintptr_t ctx, luaw_Call* call)
    {
        Host* host = reinterpret_cast<Host*>(ctx);
        auto it = host->functions.find(call->function_id);
        if (it == host->functions.end())
            return LUAW_CB_ERROR;
        return it->second(call);
    }
};

void push_number_result(luaw_Call* call, double n)
{
    call->results[call->nresults].type = LUAW_TNUMBER;
    call->results[call->nresults].u.number = n;
    call->nresults++;
}

class Containment : public ::testing::Test {
protected:
    luaw_State* S = nullptr;
    Host host;
    luaw_Error err{};

    void SetUp() override
    {
        luaw_Options opts{LUAW_ABI_VERSION, 0, 1};
        S = luaw_new(&opts, nullptr);
        ASSERT_NE(S, nullptr);
        luaw_set_dispatch(S, &Host::dispatch, reinterpret_cast<uintptr_t>(&host));
    }
    void TearDown() override { EXPECT_EQ(luaw_close(S), LUAW_OK); }

    void reg(const std::string& name, HostFn fn)
    {
        uint64_t id = host.next_id++;
        host.functions[id] = std::move(fn);
        ASSERT_EQ(luaw_register_function(S, name.data(), name.size(), id, &err), LUAW_OK);
    }

    int32_t run(const std::string& src, int32_t* n = nullptr)
    {
        int32_t count = 0;
        int32_t rc = luaw_dostring(S, src.data(), src.size(), "test", 4, &count, &err);
        if (n)
            *n = count;
        return rc;
    }

    std::string message() const { return std::string(err.message, err.message_len); }

    double number_at(int idx)
    {
        luaw_Value v{};
        EXPECT_EQ(luaw_read_values(S, idx, 1, &v), LUAW_OK);
        EXPECT_EQ(v.type, LUAW_TNUMBER);
        return v.u.number;
    }
};

using Clock = std::chrono::steady_clock;

double ms_since(Clock::time_point t0)
{
    return std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
}

TEST_F(Containment, CancelFromAnotherThreadStopsARunawayLoopAndTheStateStaysUsable)
{
    // Requirement: a stop request from another thread ends `while true do end` with
    // LUAW_ERRINTERRUPT (cause cancel); the next run on the state works.
    luaw_StopHandle* h = luaw_stop_handle(S);
    ASSERT_NE(h, nullptr);
    std::thread canceller([h] {
        std::this_thread::sleep_for(std::chrono::milliseconds(30));
        while (luaw_stop_request(h, LUAW_STOP_CANCEL) == 0)
            std::this_thread::sleep_for(std::chrono::milliseconds(1));
    });
    EXPECT_EQ(run("while true do end"), LUAW_ERRINTERRUPT);
    canceller.join();
    EXPECT_EQ(err.host_token, (uint64_t)LUAW_STOP_CANCEL);
    EXPECT_NE(message().find("cancelled"), std::string::npos) << message();
    int32_t n = 0;
    EXPECT_EQ(run("return 40 + 2", &n), LUAW_OK) << message();
    EXPECT_EQ(number_at(1), 42.0);
    luaw_settop(S, 0);
    luaw_stop_handle_release(h);
}

TEST_F(Containment, ARequestWhileIdleDoesNotStopTheNextRun)
{
    // Requirement: a request when nothing runs is dropped (returns 0), never a later run's stop.
    luaw_StopHandle* h = luaw_stop_handle(S);
    EXPECT_EQ(luaw_stop_request(h, LUAW_STOP_CANCEL), 0);
    EXPECT_EQ(run("local s = 0 for i = 1, 1000 do s += i end return s"), LUAW_OK) << message();
    luaw_settop(S, 0);
    luaw_stop_handle_release(h);
}

TEST_F(Containment, ADeadlineStopsALoopThatSwallowsErrorsWithPcall)
{
    // Requirement: with a 50 ms run timeout, a loop that pcall-swallows every error still
    // stops (sticky), within the deadline + 100 ms, with cause deadline.
    luaw_set_run_timeout(S, 50 * 1000 * 1000);
    auto t0 = Clock::now();
    EXPECT_EQ(run("while true do pcall(function() while true do end end) end"), LUAW_ERRINTERRUPT);
    const double ms = ms_since(t0);
    EXPECT_EQ(err.host_token, (uint64_t)LUAW_STOP_DEADLINE);
    EXPECT_GE(ms, 45.0);
    EXPECT_LT(ms, 150.0);
    EXPECT_NE(message().find("deadline"), std::string::npos);
    luaw_set_run_timeout(S, 0);
    EXPECT_EQ(run("return 1"), LUAW_OK);
    luaw_settop(S, 0);
}

TEST_F(Containment, AStopThatArrivesDuringAHostFunctionTakesEffectWhenItReturns)
{
    // Requirement: a host function is never interrupted; once it returns, the script stops,
    // and pcall around the host call does not hide it.
    luaw_StopHandle* h = luaw_stop_handle(S);
    reg("block", [h](luaw_Call*) {
        EXPECT_EQ(luaw_stop_request(h, LUAW_STOP_CANCEL), 1);
        return LUAW_CB_OK;
    });
    EXPECT_EQ(run("pcall(block) return 'not stopped'"), LUAW_ERRINTERRUPT);
    luaw_stop_handle_release(h);
}

TEST_F(Containment, AHandleOutlivesItsState)
{
    // Requirement: a request on a handle whose state was closed does nothing and is safe.
    luaw_Options opts{LUAW_ABI_VERSION, 0, 1};
    luaw_State* other = luaw_new(&opts, nullptr);
    luaw_StopHandle* h = luaw_stop_handle(other);
    EXPECT_EQ(luaw_close(other), LUAW_OK);
    EXPECT_EQ(luaw_stop_request(h, LUAW_STOP_CANCEL), 0);
    luaw_stop_handle_release(h);
}

TEST_F(Containment, SandboxFreezesLibrariesAndGivesEachChunkItsOwnGlobals)
{
    // Requirement: after luaw_sandbox, libraries, the string metatable and host functions are
    // read-only, and one chunk's globals never reach the next chunk.
    reg("hostfn", [](luaw_Call* call) {
        push_number_result(call, 7);
        return LUAW_CB_OK;
    });
    ASSERT_EQ(luaw_sandbox(S, &err), LUAW_OK);
    EXPECT_EQ(luaw_is_sandboxed(S), 1);
    EXPECT_EQ(run("string.upper = nil"), LUAW_ERRRUN);
    EXPECT_NE(message().find("readonly"), std::string::npos) << message();
    EXPECT_EQ(run("getmetatable('').__index = {}"), LUAW_ERRRUN);
    EXPECT_EQ(run("rawset(_G, 'x', 1)  hostfn = nil  return 1"), LUAW_OK) << message();
    luaw_settop(S, 0);
    EXPECT_EQ(run("leak = 'from A'"), LUAW_OK);
    int32_t n = 0;
    ASSERT_EQ(run("return leak == nil, hostfn(), x == nil", &n), LUAW_OK) << message();
    ASSERT_EQ(n, 3);
    luaw_Value v[3];
    ASSERT_EQ(luaw_read_values(S, 1, 3, v), LUAW_OK);
    EXPECT_EQ(v[0].u.boolean, 1);
    EXPECT_EQ(v[1].u.number, 7.0);
    EXPECT_EQ(v[2].u.boolean, 1);
    luaw_settop(S, 0);
}

TEST_F(Containment, PrintGoesToTheSinkFormattedAsLuausPrint)
{
    // Requirement: print formats like Luau's (tostring, tabs, newline) and reaches the sink;
    // without a sink it is a silent function, never nil.
    std::string out;
    EXPECT_EQ(run("print('no sink') return type(print)"), LUAW_OK);
    luaw_settop(S, 0);
    luaw_set_print(S, [](uintptr_t ctx, const char* line, size_t len) {
        reinterpret_cast<std::string*>(ctx)->append(line, len);
    }, reinterpret_cast<uintptr_t>(&out));
    EXPECT_EQ(run("print('a', 1, true, nil) print()"), LUAW_OK) << message();
    EXPECT_EQ(out, "a\t1\ttrue\tnil\n\n");
}

TEST_F(Containment, HostUserdataMetatablesAreLocked)
{
    // Requirement: getmetatable on a host userdata gives its type name, setmetatable is
    // refused, and its method table cannot be changed, even without the sandbox.
    ASSERT_EQ(luaw_newtable(S, 0, 2, &err), LUAW_OK);
    ASSERT_EQ(luaw_newtable(S, 0, 1, &err), LUAW_OK);
    ASSERT_EQ(luaw_setfield(S, -2, "__index", 7, &err), LUAW_OK);
    ASSERT_EQ(luaw_set_userdata_type(S, 3, "Thing", 5, &err), LUAW_OK);
    ASSERT_EQ(luaw_push_userdata(S, 3, 99, &err), LUAW_OK);
    ASSERT_EQ(luaw_setglobal(S, "thing", 5, &err), LUAW_OK);
    int32_t n = 0;
    ASSERT_EQ(run("return getmetatable(thing)", &n), LUAW_OK) << message();
    const char* p = nullptr;
    size_t len = 0;
    ASSERT_EQ(luaw_tostring(S, -1, &p, &len, &err), LUAW_OK);
    EXPECT_EQ(std::string(p, len), "Thing");
    luaw_settop(S, 0);
    EXPECT_EQ(run("setmetatable(thing, {})"), LUAW_ERRRUN);
    EXPECT_EQ(run("thing.get = function() return 1 end"), LUAW_ERRRUN);
}

TEST_F(Containment, TopLevelChunksAreYieldableAndReachLuausPcallDepth)
{
    // Requirement: a chunk run by luaw_dostring is a resumable thread: coroutine.isyieldable()
    // is true and nested pcall reaches depth 10000 (lua_pcall would cap it near 200).
    int32_t n = 0;
    ASSERT_EQ(run("return coroutine.isyieldable()", &n), LUAW_OK) << message();
    luaw_Value v{};
    ASSERT_EQ(luaw_read_values(S, 1, 1, &v), LUAW_OK);
    EXPECT_EQ(v.u.boolean, 1);
    luaw_settop(S, 0);
    // Luau's own pcall.luau check: LUAI_MAXCALLS is 20000 and each level takes 2 calls.
    ASSERT_EQ(run("function stackover() return pcall(stackover) end return #{pcall(stackover)}", &n), LUAW_OK)
        << message();
    EXPECT_EQ(number_at(1), 10000.0);
    luaw_settop(S, 0);
}

TEST_F(Containment, AMainChunkIsYieldableButNotACoroutine)
{
    // Requirement: a chunk run to completion (luaw_dostring, luaw_run) is a main chunk, as in
    // lua.c and the peers: coroutine.running() is nil and coroutine.isyieldable() is true, in
    // and out of the sandbox; a thread the host creates is a coroutine and sees itself.
    const std::string probe = "return coroutine.running() == nil, coroutine.isyieldable(), "
                              "coroutine.running() == coroutine.running()";
    auto expect_flags = [&](int base, bool is_nil, bool yieldable) {
        luaw_Value v[3];
        ASSERT_EQ(luaw_read_values(S, base, 3, v), LUAW_OK);
        EXPECT_EQ(v[0].u.boolean, is_nil ? 1 : 0);
        EXPECT_EQ(v[1].u.boolean, yieldable ? 1 : 0);
        EXPECT_EQ(v[2].u.boolean, 1);
    };
    int32_t n = 0;
    ASSERT_EQ(run(probe, &n), LUAW_OK) << message();
    ASSERT_EQ(n, 3);
    expect_flags(1, true, true);
    luaw_settop(S, 0);

    char* bc = nullptr;
    size_t bc_len = 0;
    ASSERT_EQ(luaw_compile(probe.data(), probe.size(), nullptr, &bc, &bc_len), LUAW_OK);
    ASSERT_EQ(luaw_load(S, "=probe", 6, bc, bc_len, &err), LUAW_OK);
    ASSERT_EQ(luaw_run(S, 0, &n, &err), LUAW_OK) << message();
    ASSERT_EQ(n, 3);
    ASSERT_EQ(luaw_gettop(S), 3); // the results replace the function; no thread is left
    expect_flags(1, true, true);
    luaw_settop(S, 0);

    // The same function on a host-created thread: a coroutine.
    ASSERT_EQ(luaw_load(S, "=probe", 6, bc, bc_len, &err), LUAW_OK);
    ASSERT_EQ(luaw_thread_new(S, &err), LUAW_OK);
    ASSERT_EQ(luaw_thread_resume(S, 1, 0, &n, &err), LUAW_OK) << message();
    expect_flags(2, false, true);
    luaw_settop(S, 0);

    // A coroutine created inside a main chunk is one too; the marker is not inherited.
    ASSERT_EQ(run("return coroutine.wrap(function() return coroutine.running() ~= nil end)()", &n), LUAW_OK);
    luaw_Value v{};
    ASSERT_EQ(luaw_read_values(S, 1, 1, &v), LUAW_OK);
    EXPECT_EQ(v.u.boolean, 1);
    luaw_settop(S, 0);

    // luaw_run passes its arguments, reports errors as luaw_pcall, and a yield is an error.
    reg("wait", [](luaw_Call*) { return LUAW_CB_YIELD; });
    const std::string sum = "local a, b = ... return a + b";
    luaw_free(bc);
    ASSERT_EQ(luaw_compile(sum.data(), sum.size(), nullptr, &bc, &bc_len), LUAW_OK);
    ASSERT_EQ(luaw_load(S, "=sum", 4, bc, bc_len, &err), LUAW_OK);
    luaw_Value args[2];
    args[0].type = args[1].type = LUAW_TNUMBER;
    args[0].u.number = 40;
    args[1].u.number = 2;
    ASSERT_EQ(luaw_push_values(S, args, 2, &err), LUAW_OK);
    ASSERT_EQ(luaw_run(S, 2, &n, &err), LUAW_OK) << message();
    ASSERT_EQ(n, 1);
    EXPECT_EQ(number_at(1), 42.0);
    luaw_settop(S, 0);
    ASSERT_EQ(luaw_load(S, "=sum", 4, bc, bc_len, &err), LUAW_OK);
    ASSERT_EQ(luaw_run(S, 0, &n, &err), LUAW_ERRRUN); // nil + nil
    EXPECT_NE(message().find("arithmetic"), std::string::npos) << message();
    EXPECT_EQ(luaw_gettop(S), 0);
    luaw_free(bc);
    const std::string yields = "wait() return 1";
    ASSERT_EQ(luaw_compile(yields.data(), yields.size(), nullptr, &bc, &bc_len), LUAW_OK);
    ASSERT_EQ(luaw_load(S, "=yields", 7, bc, bc_len, &err), LUAW_OK);
    luaw_free(bc);
    ASSERT_EQ(luaw_run(S, 0, &n, &err), LUAW_ERRRUN);
    EXPECT_NE(message().find("yield"), std::string::npos) << message();
    EXPECT_EQ(luaw_gettop(S), 0);
    EXPECT_EQ(luaw_run(S, 0, &n, &err), LUAW_ERRARG); // nothing to run

    // Sandboxed, the thread's globals (getfenv(0)) are the chunk's own environment: loadstring
    // compiles into them.
    ASSERT_EQ(luaw_sandbox(S, &err), LUAW_OK);
    const std::string globals = "x = 41 return loadstring('return x + 1')(), getfenv(0) == getfenv(1)";
    ASSERT_EQ(luaw_compile(globals.data(), globals.size(), nullptr, &bc, &bc_len), LUAW_OK);
    ASSERT_EQ(luaw_load(S, "=globals", 8, bc, bc_len, &err), LUAW_OK);
    luaw_free(bc);
    ASSERT_EQ(luaw_run(S, 0, &n, &err), LUAW_OK) << message();
    ASSERT_EQ(n, 2);
    EXPECT_EQ(number_at(1), 42.0);
    luaw_Value same{};
    ASSERT_EQ(luaw_read_values(S, 2, 1, &same), LUAW_OK);
    EXPECT_EQ(same.u.boolean, 1);
    luaw_settop(S, 0);
}

TEST_F(Containment, AHostFunctionYieldsToTheHostAndGetsTheResumeValues)
{
    // Requirement: a host function returning LUAW_CB_YIELD suspends the thread with its
    // values; the values of the next resume become its results in the script.
    reg("wait", [](luaw_Call* call) {
        push_number_result(call, call->args[0].u.number * 10);
        return LUAW_CB_YIELD;
    });
    const std::string src = "local a = wait(1) local b = wait(2) return a + b";
    char* bc = nullptr;
    size_t bc_len = 0;
    ASSERT_EQ(luaw_compile(src.data(), src.size(), nullptr, &bc, &bc_len), LUAW_OK);
    ASSERT_EQ(luaw_load(S, "=yield", 6, bc, bc_len, &err), LUAW_OK);
    luaw_free(bc);
    ASSERT_EQ(luaw_thread_new(S, &err), LUAW_OK);
    ASSERT_EQ(luaw_gettop(S), 1);
    EXPECT_EQ(luaw_thread_status(S, 1), LUAW_THREAD_SUSPENDED);
    int32_t n = 0;
    ASSERT_EQ(luaw_thread_resume(S, 1, 0, &n, &err), LUAW_YIELD) << message();
    ASSERT_EQ(n, 1);
    EXPECT_EQ(number_at(2), 10.0);
    luaw_settop(S, 1);
    luaw_Value arg{};
    arg.type = LUAW_TNUMBER;
    arg.u.number = 5;
    ASSERT_EQ(luaw_push_values(S, &arg, 1, &err), LUAW_OK);
    ASSERT_EQ(luaw_thread_resume(S, 1, 1, &n, &err), LUAW_YIELD) << message();
    EXPECT_EQ(number_at(2), 20.0);
    luaw_settop(S, 1);
    arg.u.number = 6;
    ASSERT_EQ(luaw_push_values(S, &arg, 1, &err), LUAW_OK);
    ASSERT_EQ(luaw_thread_resume(S, 1, 1, &n, &err), LUAW_OK) << message();
    ASSERT_EQ(n, 1);
    EXPECT_EQ(number_at(2), 11.0);
    luaw_settop(S, 1);
    EXPECT_EQ(luaw_thread_status(S, 1), LUAW_THREAD_FINISHED);
    EXPECT_EQ(luaw_thread_resume(S, 1, 0, &n, &err), LUAW_ERRARG);

    // Reuse: reset with a new body, no new thread.
    const std::string src2 = "return wait(4)";
    ASSERT_EQ(luaw_compile(src2.data(), src2.size(), nullptr, &bc, &bc_len), LUAW_OK);
    ASSERT_EQ(luaw_load(S, "=again", 6, bc, bc_len, &err), LUAW_OK);
    luaw_free(bc);
    ASSERT_EQ(luaw_thread_reset(S, 1, 1, &err), LUAW_OK);
    ASSERT_EQ(luaw_thread_resume(S, 1, 0, &n, &err), LUAW_YIELD) << message();
    EXPECT_EQ(number_at(2), 40.0);
    luaw_settop(S, 0);
}

TEST_F(Containment, AYieldWhereLuauCannotYieldIsACleanError)
{
    // Requirement: a yielding host function inside a host -> Luau call (lua_pcall) or a chunk
    // run to completion gives a clean error, never a crash or a silent return.
    reg("wait", [](luaw_Call*) { return LUAW_CB_YIELD; });
    EXPECT_EQ(run("wait()"), LUAW_ERRRUN);
    EXPECT_NE(message().find("yield"), std::string::npos) << message();
    EXPECT_EQ(run("local ok, e = pcall(table.sort, {3, 2, 1}, function(a, b) wait() return a < b end) return ok, e"),
              LUAW_OK);
    luaw_Value v[2];
    ASSERT_EQ(luaw_read_values(S, 1, 2, v), LUAW_OK);
    EXPECT_EQ(v[0].u.boolean, 0);
    luaw_settop(S, 0);
    int32_t n = 0;
    EXPECT_EQ(luaw_call_global(S, "wait", 4, nullptr, 0, 0, &n, &err), LUAW_ERRRUN);
    EXPECT_NE(message().find("cannot yield"), std::string::npos) << message();
}

TEST_F(Containment, AResumeWithAnErrorRaisesItAtTheYieldPoint)
{
    // Requirement: luaw_thread_resume_error raises the value at the yield, where pcall sees it.
    reg("wait", [](luaw_Call*) { return LUAW_CB_YIELD; });
    const std::string src = "local ok, e = pcall(wait) return ok, e";
    char* bc = nullptr;
    size_t bc_len = 0;
    ASSERT_EQ(luaw_compile(src.data(), src.size(), nullptr, &bc, &bc_len), LUAW_OK);
    ASSERT_EQ(luaw_load(S, "=t", 2, bc, bc_len, &err), LUAW_OK);
    luaw_free(bc);
    ASSERT_EQ(luaw_thread_new(S, &err), LUAW_OK);
    int32_t n = 0;
    ASSERT_EQ(luaw_thread_resume(S, 1, 0, &n, &err), LUAW_YIELD);
    luaw_Value msg{};
    msg.type = LUAW_TSTRING;
    msg.u.string.ptr = "boom";
    msg.u.string.len = 4;
    ASSERT_EQ(luaw_push_values(S, &msg, 1, &err), LUAW_OK);
    ASSERT_EQ(luaw_thread_resume_error(S, 1, &n, &err), LUAW_OK) << message();
    ASSERT_EQ(n, 2);
    luaw_Value v[2];
    ASSERT_EQ(luaw_read_values(S, 2, 2, v), LUAW_OK);
    EXPECT_EQ(v[0].u.boolean, 0);
    EXPECT_EQ(std::string(v[1].u.string.ptr, v[1].u.string.len), "boom");
    luaw_settop(S, 0);
}

TEST_F(Containment, AStopReachesAThreadResumedAfterItWasArmed)
{
    // Requirement: a deadline also stops a thread the host resumes, and the thread is dead.
    reg("wait", [](luaw_Call*) { return LUAW_CB_YIELD; });
    const std::string src = "wait() while true do end";
    char* bc = nullptr;
    size_t bc_len = 0;
    ASSERT_EQ(luaw_compile(src.data(), src.size(), nullptr, &bc, &bc_len), LUAW_OK);
    ASSERT_EQ(luaw_load(S, "=t", 2, bc, bc_len, &err), LUAW_OK);
    luaw_free(bc);
    ASSERT_EQ(luaw_thread_new(S, &err), LUAW_OK);
    int32_t n = 0;
    ASSERT_EQ(luaw_thread_resume(S, 1, 0, &n, &err), LUAW_YIELD);
    luaw_set_run_timeout(S, 20 * 1000 * 1000);
    EXPECT_EQ(luaw_thread_resume(S, 1, 0, &n, &err), LUAW_ERRINTERRUPT);
    EXPECT_EQ(luaw_thread_status(S, 1), LUAW_THREAD_ERROR);
    luaw_set_run_timeout(S, 0);
    luaw_settop(S, 0);
}

TEST_F(Containment, AHostErrorKeepsItsIdentityThroughCoroutineWrap)
{
    // Requirement: a host error that escapes through coroutine.wrap (which re-raises it with a
    // position prefix) is still reported as the host's error with its token, from a chunk and
    // from a host -> Luau call; a script's own error after a caught host error is not.
    static const char msg[] = "wrapped failure";
    reg("failing", [](luaw_Call* call) {
        call->error_message = msg;
        call->error_message_len = sizeof(msg) - 1;
        call->error_token = 42;
        return LUAW_CB_ERROR;
    });
    EXPECT_EQ(run("local f = coroutine.wrap(function() failing() end) f()"), LUAW_ERRHOST) << message();
    EXPECT_EQ(err.host_token, 42u);
    EXPECT_EQ(run("function viawrap() local f = coroutine.wrap(function() failing() end) f() end"), LUAW_OK);
    int32_t n = 0;
    EXPECT_EQ(luaw_call_global(S, "viawrap", 7, nullptr, 0, 0, &n, &err), LUAW_ERRHOST) << message();
    EXPECT_EQ(err.host_token, 42u);
    EXPECT_EQ(run("pcall(failing) error('the script failed')"), LUAW_ERRRUN) << message();
    EXPECT_EQ(err.host_token, 0u);
}

TEST_F(Containment, ToPointerIdentifiesATableReachedTwice)
{
    // Requirement (bounded conversions): a binding can tell that two stack slots hold the same
    // table, so a table reachable twice converts once; scalars and bad indices give 0.
    int32_t n = 0;
    ASSERT_EQ(run("local a = {} local b = {a, a} return a, b[1], {}, 1, 'x'", &n), LUAW_OK) << message();
    ASSERT_EQ(n, 5);
    const int base = luaw_gettop(S) - n;
    EXPECT_NE(luaw_topointer(S, base + 1), 0u);
    EXPECT_EQ(luaw_topointer(S, base + 1), luaw_topointer(S, base + 2));
    EXPECT_NE(luaw_topointer(S, base + 1), luaw_topointer(S, base + 3));
    EXPECT_EQ(luaw_topointer(S, base + 4), 0u);
    EXPECT_EQ(luaw_topointer(S, base + 5), 0u);
    EXPECT_EQ(luaw_topointer(S, base + 6), 0u);
    EXPECT_EQ(luaw_topointer(nullptr, 1), 0u);
    luaw_settop(S, base);
}

TEST_F(Containment, CorruptedBytecodeIsAlwaysACleanError)
{
    // Requirement: 1,000 copies of a valid chunk, each with one random bit flipped, and every
    // truncation of it, are rejected by luaw_load with LUAW_ERRARG, never run or crash; the
    // intact chunk still loads and runs.
    const std::string src = "local t = {} for i = 1, 10 do t[i] = i * i end return t[10] + #'bytecode'";
    char* bc = nullptr;
    size_t len = 0;
    ASSERT_EQ(luaw_compile(src.data(), src.size(), nullptr, &bc, &len), LUAW_OK);
    std::string good(bc, len);
    luaw_free(bc);
    uint64_t seed = 0x9e3779b97f4a7c15ull;
    for (int i = 0; i < 1000; ++i)
    {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        std::string bad = good;
        const size_t bit = seed % (bad.size() * 8);
        bad[bit / 8] = char(bad[bit / 8] ^ (1 << (bit % 8)));
        const int32_t rc = luaw_load(S, "=flip", 5, bad.data(), bad.size(), &err);
        ASSERT_TRUE(rc == LUAW_ERRARG || rc == LUAW_ERRSYNTAX) << "flip of bit " << bit << ": " << rc;
        ASSERT_EQ(luaw_gettop(S), 0);
    }
    for (size_t n = 1; n < good.size(); ++n)
        ASSERT_EQ(luaw_load(S, "=cut", 4, good.data(), n, &err), LUAW_ERRARG) << n;
    ASSERT_EQ(luaw_load(S, "=ok", 3, good.data(), good.size(), &err), LUAW_OK) << message();
    ASSERT_EQ(luaw_pcall(S, 0, 1, &err), LUAW_OK) << message();
    EXPECT_EQ(number_at(1), 108.0);
    luaw_settop(S, 0);
}

TEST_F(Containment, BytecodeOfAnotherLuauVersionIsRejectedByName)
{
    // Requirement: bytecode whose trailer names another Luau version is refused with a message
    // that names both versions.
    char* bc = nullptr;
    size_t len = 0;
    ASSERT_EQ(luaw_compile("return 1", 8, nullptr, &bc, &len), LUAW_OK);
    std::string other(bc, len);
    luaw_free(bc);
    const uint32_t version = 735;
    std::memcpy(&other[other.size() - 24 + 4], &version, sizeof(version));
    ASSERT_EQ(luaw_load(S, "=old", 4, other.data(), other.size(), &err), LUAW_ERRARG);
    EXPECT_NE(message().find("Luau 0.735"), std::string::npos) << message();
    EXPECT_NE(message().find("0.745"), std::string::npos) << message();
    const std::string raw = "\x06\x01garbage that is not bytecode";
    EXPECT_EQ(luaw_load(S, "=raw", 4, raw.data(), raw.size(), &err), LUAW_ERRARG);
    EXPECT_NE(message().find("no integrity trailer"), std::string::npos) << message();
}

TEST_F(Containment, LoadstringCompilesTextIntoTheCallersGlobals)
{
    // Requirement: loadstring is there by default, compiles text only, names the chunk by its
    // source, returns nil + message on a syntax error, and the loaded code uses the calling
    // script's globals; sandboxed, those writes never reach the next run.
    int32_t n = 0;
    ASSERT_EQ(run("local f, e = loadstring('x = = 1') return f, e", &n), LUAW_OK) << message();
    luaw_Value v[2];
    ASSERT_EQ(luaw_read_values(S, 1, 2, v), LUAW_OK);
    EXPECT_EQ(v[0].type, LUAW_TNIL);
    EXPECT_EQ(std::string(v[1].u.string.ptr, v[1].u.string.len).rfind("[string \"x = = 1\"]:1:", 0), 0u);
    luaw_settop(S, 0);
    ASSERT_EQ(run("y = 20 return loadstring('return y + 1')()", &n), LUAW_OK) << message();
    EXPECT_EQ(number_at(1), 21.0);
    luaw_settop(S, 0);
    EXPECT_EQ(run("return loadstring('\\x1bLua')"), LUAW_OK); // text: a syntax error, never bytecode
    luaw_settop(S, 0);

    ASSERT_EQ(luaw_sandbox(S, &err), LUAW_OK);
    ASSERT_EQ(run("loadstring('leak = 1')() return leak", &n), LUAW_OK) << message();
    EXPECT_EQ(number_at(1), 1.0);
    luaw_settop(S, 0);
    ASSERT_EQ(run("return leak == nil", &n), LUAW_OK);
    ASSERT_EQ(luaw_read_values(S, 1, 1, v), LUAW_OK);
    EXPECT_EQ(v[0].u.boolean, 1);
    luaw_settop(S, 0);
    // A chunk loaded with luaw_load has its own globals; loadstring inside it writes there.
    const std::string src = "loadstring('mine = 5')() return mine";
    char* bc = nullptr;
    size_t len = 0;
    ASSERT_EQ(luaw_compile(src.data(), src.size(), nullptr, &bc, &len), LUAW_OK);
    ASSERT_EQ(luaw_load(S, "=loaded", 7, bc, len, &err), LUAW_OK);
    luaw_free(bc);
    ASSERT_EQ(luaw_pcall(S, 0, 1, &err), LUAW_OK) << message();
    EXPECT_EQ(number_at(1), 5.0);
    luaw_settop(S, 0);
}

TEST(Libraries, OnlyTheSelectedStandardLibrariesOpen)
{
    // Requirement: with LUAW_LIBS_SELECT, exactly the chosen libraries are there (base brings
    // print and loadstring), and the others are nil; open_libs = 1 still opens all.
    luaw_Options opts{LUAW_ABI_VERSION, 0, LUAW_LIBS_SELECT | LUAW_LIB_BASE | LUAW_LIB_STRING | LUAW_LIB_MATH};
    luaw_State* S = luaw_new(&opts, nullptr);
    ASSERT_NE(S, nullptr);
    luaw_Error err{};
    const std::string src = "return type(string), type(math), type(os), type(debug), type(coroutine), type(print), "
                            "type(loadstring)";
    int32_t n = 0;
    ASSERT_EQ(luaw_dostring(S, src.data(), src.size(), "libs", 4, &n, &err), LUAW_OK);
    ASSERT_EQ(n, 7);
    const char* want[] = {"table", "table", "nil", "nil", "nil", "function", "function"};
    luaw_Value v[7];
    ASSERT_EQ(luaw_read_values(S, 1, 7, v), LUAW_OK);
    for (int i = 0; i < 7; ++i)
        EXPECT_EQ(std::string(v[i].u.string.ptr, v[i].u.string.len), want[i]) << i;
    EXPECT_EQ(luaw_close(S), LUAW_OK);

    luaw_Options all{LUAW_ABI_VERSION, 0, 1};
    S = luaw_new(&all, nullptr);
    const std::string src2 = "return type(os) == 'table' and type(debug) == 'table' and type(buffer) == 'table'";
    ASSERT_EQ(luaw_dostring(S, src2.data(), src2.size(), "libs", 4, &n, &err), LUAW_OK);
    ASSERT_EQ(luaw_read_values(S, 1, 1, v), LUAW_OK);
    EXPECT_EQ(v[0].u.boolean, 1);
    EXPECT_EQ(luaw_close(S), LUAW_OK);
}

TEST_F(Containment, AContinuationRunsHostCodeAfterTheResume)
{
    // Requirement: a host function that yields with a continuation token is called again on
    // resume, with that token and the resume values, and its answer is the function's result
    // in the script; this also works when the script itself resumes (coroutine.resume), as
    // Luau's iter.luau needs (cYieldingIterator yields i+1, then returns i+1, i+1).
    reg("cYieldingIterator", [](luaw_Call* call) {
        if (call->continuation != 0)
        {
            push_number_result(call, (double)call->continuation);
            push_number_result(call, (double)call->continuation);
            return LUAW_CB_OK;
        }
        const double max = call->args[0].u.number, i = call->args[1].u.number;
        if (i >= max)
            return LUAW_CB_OK;
        push_number_result(call, i + 1);
        call->yield_continuation = (uint64_t)(i + 1);
        return LUAW_CB_YIELD;
    });
    int32_t n = 0;
    ASSERT_EQ(run(R"(
        local co = coroutine.create(function()
            local sum = 0
            for v in cYieldingIterator, 4, 0 do sum += v end
            return sum
        end)
        local seen = {}
        for i = 1, 4 do local ok, v = coroutine.resume(co) assert(ok, v) seen[i] = v end
        local ok, sum = coroutine.resume(co)
        return table.concat(seen, ","), sum)",
                  &n),
              LUAW_OK)
        << message();
    luaw_Value v[2];
    ASSERT_EQ(luaw_read_values(S, 1, 2, v), LUAW_OK);
    EXPECT_EQ(std::string(v[0].u.string.ptr, v[0].u.string.len), "1,2,3,4");
    EXPECT_EQ(v[1].u.number, 10.0);
    luaw_settop(S, 0);
}

TEST_F(Containment, NestedCallsOfAHostFunctionNeverYield)
{
    // Requirement: Luau code called by a host function (a nested host -> Luau call) cannot
    // yield, even inside a coroutine: coroutine.yield there is Luau's clean error, and the
    // host's nested call reports it instead of returning early.
    int32_t nested_rc = -1;
    std::string nested_msg;
    reg("call_inner", [&](luaw_Call* call) {
        luaw_Error e{};
        int32_t n = 0;
        nested_rc = luaw_call_global(call->state, "inner", 5, nullptr, 0, 0, &n, &e);
        nested_msg.assign(e.message ? e.message : "", e.message_len);
        return LUAW_CB_OK;
    });
    ASSERT_EQ(run("function inner() coroutine.yield(1) end "
                  "local co = coroutine.create(function() call_inner() return 'done' end) "
                  "return coroutine.resume(co)"),
              LUAW_OK)
        << message();
    EXPECT_EQ(nested_rc, LUAW_ERRRUN);
    EXPECT_NE(nested_msg.find("attempt to yield"), std::string::npos) << nested_msg;
    luaw_Value v[2];
    ASSERT_EQ(luaw_read_values(S, 1, 2, v), LUAW_OK);
    EXPECT_EQ(v[0].u.boolean, 1);
    EXPECT_EQ(std::string(v[1].u.string.ptr, v[1].u.string.len), "done");
    luaw_settop(S, 0);
}

TEST_F(Containment, SandboxedLoadedChunksUseTheirOwnGlobalsThroughG)
{
    // Requirement: a chunk loaded with luaw_load on a sandboxed state writes _G.x and x into
    // its own globals (Luau resolves _G when loading, so the chunk must be loaded against its
    // own table), and a thread made from it shares them with loadstring'd code.
    ASSERT_EQ(luaw_sandbox(S, &err), LUAW_OK);
    const std::string src = "_G.x = 1 y = 2 local f = loadstring('return x + y') return x + _G.y + f()";
    char* bc = nullptr;
    size_t len = 0;
    ASSERT_EQ(luaw_compile(src.data(), src.size(), nullptr, &bc, &len), LUAW_OK);
    ASSERT_EQ(luaw_load(S, "=loaded", 7, bc, len, &err), LUAW_OK) << message();
    ASSERT_EQ(luaw_pcall(S, 0, 1, &err), LUAW_OK) << message();
    EXPECT_EQ(number_at(1), 6.0);
    luaw_settop(S, 0);
    ASSERT_EQ(luaw_load(S, "=again", 6, bc, len, &err), LUAW_OK) << message();
    luaw_free(bc);
    ASSERT_EQ(luaw_thread_new(S, &err), LUAW_OK) << message();
    int32_t n = 0;
    ASSERT_EQ(luaw_thread_resume(S, 1, 0, &n, &err), LUAW_OK) << message();
    EXPECT_EQ(number_at(2), 6.0);
    luaw_settop(S, 0);
    ASSERT_EQ(run("return x == nil and y == nil", &n), LUAW_OK);
    luaw_Value v{};
    ASSERT_EQ(luaw_read_values(S, 1, 1, &v), LUAW_OK);
    EXPECT_EQ(v.u.boolean, 1);
    luaw_settop(S, 0);
}

} // namespace
