// Tests of require-by-string (require.cpp) with a C++ stand-in host whose resolver serves an
// in-memory module tree. Each test states the requirement it checks first.
#include "luau_wrapper.h"

#include <gtest/gtest.h>

#include <cstring>
#include <map>
#include <string>

namespace {

constexpr uint64_t kResolverId = 1;
constexpr uint64_t kFailId = 2;

struct Host {
    std::map<std::string, std::string> files; // "dir/name.luau" -> source; "dir/.luaurc" -> JSON
    int resolver_calls = 0;
    bool resolver_fails = false;
    bool resolver_panics = false;

    static void put_string(luaw_Call* call, const std::string& s)
    {
        luaw_call_reserve_scratch(call, s.size());
        char* dst = call->scratch + call->scratch_len;
        std::memcpy(dst, s.data(), s.size());
        call->scratch_len += s.size();
        luaw_Value& v = call->results[call->nresults++];
        v.type = LUAW_TSTRING;
        v.u.string.ptr = dst;
        v.u.string.len = s.size();
    }

    static int32_t fail(luaw_Call* call, const char* msg, uint64_t token, int32_t code)
    {
        call->error_message = msg;
        call->error_message_len = std::strlen(msg);
        call->error_token = token;
        return code;
    }

    int32_t resolve(luaw_Call* call)
    {
        resolver_calls++;
        if (resolver_fails)
            return fail(call, "disk on fire", 42, LUAW_CB_ERROR);
        if (resolver_panics)
            return fail(call, "resolver bug", 43, LUAW_CB_PANIC);
        const int kind = (int)call->args[0].u.number;
        const std::string path(call->args[1].u.string.ptr, call->args[1].u.string.len);
        const std::string prefix = path.empty() ? "" : path + "/";
        if (kind == LUAW_RESOLVE_CONFIG)
        {
            auto it = files.find(prefix + ".luaurc");
            if (it != files.end())
                put_string(call, it->second);
            return LUAW_CB_OK;
        }
        for (const std::string& name : {path + ".luau", prefix + "init.luau"})
        {
            auto it = files.find(name);
            if (it != files.end())
            {
                put_string(call, it->second);
                put_string(call, name);
                break;
            }
        }
        return LUAW_CB_OK;
    }

    static int32_t dispatch(uintptr_t ctx, luaw_Call* call)
    {
        Host* host = reinterpret_cast<Host*>(ctx);
        if (call->function_id == kResolverId)
            return host->resolve(call);
        return fail(call, "boom from host", 7, LUAW_CB_ERROR);
    }
};

class Require : public ::testing::Test {
protected:
    luaw_State* S = nullptr;
    Host host;
    luaw_Error err{};

    void SetUp() override
    {
        luaw_Options opts{LUAW_ABI_VERSION, 0, 1};
        int32_t status = -1;
        S = luaw_new(&opts, &status);
        ASSERT_NE(S, nullptr);
        luaw_set_dispatch(S, &Host::dispatch, reinterpret_cast<uintptr_t>(&host));
        host.files = {
            {"main.luau", "return require('./lib/util').double(21)"},
            {"lib/util.luau", "local m = {}\nfunction m.double(x) return x * 2 end\nreturn m"},
            {"lib/init.luau", "return { name = 'lib', util = require('./lib/util') }"},
            {"lib/peer.luau", "return require('./util').double(1)"},
            {"lib/up.luau", "return require('../top')"},
            {"top.luau", "return 'top'"},
            {"a.luau", "return require('./b')"},
            {"b.luau", "return require('./a')"},
            {"bad.luau", "local x = 1\nerror('module failed')\nreturn x"},
            {"syntax.luau", "return ("},
            {".luaurc", R"({"aliases": {"lib": "./lib"}})"},
            {"aliased.luau", "return require('@lib/util').double(5)"},
            {"globals.luau", "leaked = 1\nreturn leaked"},
            {"hostfail.luau", "return fail()"},
        };
    }
    void TearDown() override
    {
        if (S)
            EXPECT_EQ(luaw_close(S), LUAW_OK);
    }

    int32_t run(const std::string& src, const std::string& chunk = "@main.luau")
    {
        int32_t n = 0;
        lua_settop_all();
        return luaw_dostring(S, src.data(), src.size(), chunk.data(), chunk.size(), &n, &err);
    }
    void lua_settop_all() { luaw_settop(S, 0); }
    std::string message() const { return std::string(err.message, err.message_len); }
    std::string traceback() const { return std::string(err.traceback, err.traceback_len); }
    luaw_Value value_at(int idx)
    {
        luaw_Value v{};
        EXPECT_EQ(luaw_read_values(S, idx, 1, &v), LUAW_OK);
        return v;
    }
    void install()
    {
        ASSERT_EQ(luaw_set_require(S, kResolverId, &err), LUAW_OK);
        ASSERT_EQ(luaw_register_function(S, "fail", 4, kFailId, &err), LUAW_OK);
    }
};

TEST_F(Require, RequireIsAbsentUntilTheHostInstallsIt)
{
    // Requirement: nothing can be required unless the host configured it.
    ASSERT_EQ(run("return type(require)"), LUAW_OK) << message();
    luaw_Value v = value_at(1);
    ASSERT_EQ(v.type, LUAW_TSTRING);
    EXPECT_EQ(std::string(v.u.string.ptr, v.u.string.len), "nil");
    EXPECT_EQ(host.resolver_calls, 0);
}

TEST_F(Require, RelativeRequiresResolveFromTheRequiringModule)
{
    // Requirement: ./ and ../ are relative to the requiring module's file; init.luau is its
    // directory's module; a script named "@main.luau" is a file at the root.
    install();
    ASSERT_EQ(run("return require('./lib/util').double(21), require('./lib').name, require('./lib/peer'), "
                  "require('./lib/up')"),
              LUAW_OK)
        << message();
    EXPECT_EQ(value_at(1).u.number, 42);
    luaw_Value name = value_at(2);
    EXPECT_EQ(std::string(name.u.string.ptr, name.u.string.len), "lib");
    EXPECT_EQ(value_at(3).u.number, 2);
    luaw_Value top = value_at(4);
    EXPECT_EQ(std::string(top.u.string.ptr, top.u.string.len), "top");
}

TEST_F(Require, ASecondRequireReturnsTheCachedValueWithoutAskingTheResolverToLoad)
{
    // Requirement: modules are cached by file name: two requires give the same table, and a
    // require of a cached module makes no crossing to the host.
    install();
    ASSERT_EQ(run("return require('./lib/util')"), LUAW_OK) << message();
    const int calls = host.resolver_calls;
    ASSERT_EQ(run("local a = require('./lib/util'); local b = require('./lib/../lib/util'); return rawequal(a, b)"),
              LUAW_OK)
        << message();
    EXPECT_EQ(value_at(1).u.boolean, 1);
    EXPECT_EQ(host.resolver_calls, calls);
}

TEST_F(Require, ACachedRequireIsTheModuleOfItsOwnRequirer)
{
    // Requirement: the same relative path required from two places names two modules, also
    // once both are cached; re-registering a host module replaces what require returns.
    install();
    host.files["util.luau"] = "return { where = 'root' }";
    host.files["lib/where.luau"] = "return require('./util')";
    for (int i = 0; i < 2; ++i)
    {
        ASSERT_EQ(run("return require('./util').where, require('./lib/where').double ~= nil"), LUAW_OK) << message();
        luaw_Value where = value_at(1);
        EXPECT_EQ(std::string(where.u.string.ptr, where.u.string.len), "root");
        EXPECT_EQ(value_at(2).u.boolean, 1);
    }
    for (double answer : {1.0, 2.0})
    {
        luaw_Value v{};
        v.type = LUAW_TNUMBER;
        v.u.number = answer;
        ASSERT_EQ(luaw_push_values(S, &v, 1, &err), LUAW_OK);
        ASSERT_EQ(luaw_register_module(S, "@host/answer", 12, &err), LUAW_OK) << message();
        ASSERT_EQ(run("return require('@host/answer')"), LUAW_OK) << message();
        EXPECT_EQ(value_at(1).u.number, answer);
    }
}

TEST_F(Require, RequireWorksInsideACoroutineAndAYieldingModuleIsACleanError)
{
    // Requirement: require works on any thread; a module that yields while loading is a
    // clean error (a require cannot be suspended), never a crash.
    install();
    host.files["yields.luau"] = "coroutine.yield(1)\nreturn 2";
    ASSERT_EQ(run("return coroutine.wrap(function() return require('./top') end)()"), LUAW_OK) << message();
    luaw_Value top = value_at(1);
    EXPECT_EQ(std::string(top.u.string.ptr, top.u.string.len), "top");
    ASSERT_EQ(run("return coroutine.wrap(function() return require('./yields') end)()"), LUAW_ERRRUN);
    EXPECT_NE(message().find("attempt to yield"), std::string::npos) << message();
}

TEST_F(Require, AliasesComeFromLuaurc)
{
    // Requirement: @alias/path resolves through the nearest .luaurc's aliases.
    install();
    ASSERT_EQ(run("return require('@lib/util').double(4), require('./aliased')"), LUAW_OK) << message();
    EXPECT_EQ(value_at(1).u.number, 8);
    EXPECT_EQ(value_at(2).u.number, 10);
}

TEST_F(Require, ACycleIsACleanErrorNamingTheChain)
{
    // Requirement: a cyclic require fails with a message naming the modules of the cycle.
    install();
    ASSERT_EQ(run("return require('./a')"), LUAW_ERRRUN);
    EXPECT_NE(message().find("cyclic require: a.luau -> b.luau -> a.luau"), std::string::npos) << message();
    // The failed loads leave nothing behind: a module that is not in a cycle still loads,
    // and the cycle is reported again (not mistaken for a cached value).
    ASSERT_EQ(run("return require('./top')"), LUAW_OK) << message();
    ASSERT_EQ(run("return require('./b')"), LUAW_ERRRUN);
    EXPECT_NE(message().find("cyclic require: b.luau -> a.luau -> b.luau"), std::string::npos) << message();
}

TEST_F(Require, AModuleCaughtFailingWithPcallCanBeRequiredAgain)
{
    // Requirement: a module that failed is not cached and not "still loading" afterwards.
    install();
    ASSERT_EQ(run("local ok1 = pcall(require, './bad'); local ok2, e = pcall(require, './bad'); return ok1, ok2, e"),
              LUAW_OK)
        << message();
    EXPECT_EQ(value_at(1).u.boolean, 0);
    EXPECT_EQ(value_at(2).u.boolean, 0);
    luaw_Value e = value_at(3);
    EXPECT_NE(std::string(e.u.string.ptr, e.u.string.len).find("bad.luau:2: module failed"), std::string::npos);
}

TEST_F(Require, AMissingModuleIsACleanErrorNamingThePath)
{
    // Requirement: a module that is not there is an error naming the required path.
    install();
    ASSERT_EQ(run("return require('./nope/missing')"), LUAW_ERRRUN);
    EXPECT_NE(message().find("error requiring module \"./nope/missing\": no module at \"nope/missing\""),
              std::string::npos)
        << message();
    ASSERT_EQ(run("return require('nope')"), LUAW_ERRRUN);
    EXPECT_NE(message().find("must start with a valid prefix"), std::string::npos) << message();
}

TEST_F(Require, AFailingModuleNamesItsFileAndLineInMessageAndTraceback)
{
    // Requirement: chunk names are module paths, so errors name the module's file and line.
    install();
    ASSERT_EQ(run("return require('./bad')"), LUAW_ERRRUN);
    EXPECT_NE(message().find("bad.luau:2: module failed"), std::string::npos) << message();
    EXPECT_NE(traceback().find("bad.luau:2"), std::string::npos) << traceback();
    ASSERT_EQ(run("return require('./syntax')"), LUAW_ERRRUN);
    EXPECT_NE(message().find("syntax.luau:1:"), std::string::npos) << message();
}

TEST_F(Require, AResolverErrorKeepsTheHostsIdentity)
{
    // Requirement: a resolver's error reaches the host again as the host's own error.
    install();
    host.resolver_fails = true;
    ASSERT_EQ(run("return require('./top')"), LUAW_ERRHOST);
    EXPECT_EQ(err.host_token, 42u);
    EXPECT_NE(message().find("disk on fire"), std::string::npos) << message();
    // A script's pcall catches it; the state stays usable.
    ASSERT_EQ(run("local ok, e = pcall(require, './top'); return ok, e"), LUAW_OK) << message();
    EXPECT_EQ(value_at(1).u.boolean, 0);
    host.resolver_fails = false;
    ASSERT_EQ(run("return require('./top')"), LUAW_OK) << message();
}

TEST_F(Require, AResolverPanicIsStickyThroughPcall)
{
    // Requirement: a resolver's panic is reported as a panic even if a pcall caught it.
    install();
    host.resolver_panics = true;
    ASSERT_EQ(run("pcall(require, './top'); return 1"), LUAW_ERRPANIC);
    EXPECT_EQ(err.host_token, 43u);
}

TEST_F(Require, RegisteredHostModulesNeedNoResolver)
{
    // Requirement: a table registered as @host/name is what require returns, resolver or not.
    ASSERT_EQ(luaw_newtable(S, 0, 1, &err), LUAW_OK);
    luaw_Value answer{};
    answer.type = LUAW_TNUMBER;
    answer.u.number = 42;
    ASSERT_EQ(luaw_push_values(S, &answer, 1, &err), LUAW_OK);
    ASSERT_EQ(luaw_setfield(S, -2, "answer", 6, &err), LUAW_OK);
    ASSERT_EQ(luaw_register_module(S, "@host/config", 12, &err), LUAW_OK) << message();
    EXPECT_EQ(luaw_gettop(S), 0);
    ASSERT_EQ(run("return require('@host/config').answer, rawequal(require('@HOST/config'), require('@host/config'))"),
              LUAW_OK)
        << message();
    EXPECT_EQ(value_at(1).u.number, 42);
    EXPECT_EQ(value_at(2).u.boolean, 1);
    ASSERT_EQ(run("return require('./top')"), LUAW_ERRRUN);
    EXPECT_NE(message().find("no module at \"top\""), std::string::npos) << message();
    luaw_Value v{};
    v.type = LUAW_TNUMBER;
    ASSERT_EQ(luaw_push_values(S, &v, 1, &err), LUAW_OK);
    EXPECT_EQ(luaw_register_module(S, "host/x", 6, &err), LUAW_ERRARG);
}

TEST_F(Require, HostModuleTablesAreReadOnlyInTheSandbox)
{
    // Requirement: on a sandboxed state a registered module table is read-only like the
    // shared globals' tables, registered before or after sealing.
    for (const char* name : {"@host/before", "@host/after"})
    {
        if (std::string(name) == "@host/after")
            ASSERT_EQ(luaw_sandbox(S, &err), LUAW_OK);
        ASSERT_EQ(luaw_newtable(S, 0, 1, &err), LUAW_OK);
        ASSERT_EQ(luaw_register_module(S, name, std::strlen(name), &err), LUAW_OK) << message();
    }
    for (const std::string name : {"@host/before", "@host/after"})
    {
        ASSERT_EQ(run("require('" + name + "').x = 1"), LUAW_ERRRUN) << name;
        EXPECT_NE(message().find("readonly"), std::string::npos) << message();
    }
}

TEST_F(Require, SandboxedModulesGetTheirOwnGlobals)
{
    // Requirement: on a sandboxed state a module's globals are its own, never the requiring
    // chunk's or the shared ones; require can be installed after sealing.
    ASSERT_EQ(luaw_sandbox(S, &err), LUAW_OK);
    ASSERT_EQ(luaw_set_require(S, kResolverId, &err), LUAW_OK) << message();
    ASSERT_EQ(run("leaked = 0; local v = require('./globals'); return v, leaked"), LUAW_OK) << message();
    EXPECT_EQ(value_at(1).u.number, 1);
    EXPECT_EQ(value_at(2).u.number, 0);
    ASSERT_EQ(run("return leaked"), LUAW_OK) << message();
    EXPECT_EQ(value_at(1).type, LUAW_TNIL);
}

TEST_F(Require, AHostErrorInsideAModuleKeepsItsIdentity)
{
    // Requirement: a host function's error raised in a module escapes as the host's error.
    install();
    ASSERT_EQ(run("return require('./hostfail')"), LUAW_ERRHOST);
    EXPECT_EQ(err.host_token, 7u);
}

} // namespace
