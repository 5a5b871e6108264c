// Tests of native code generation (codegen.cpp). The CMake test builds (asserts, longjmp,
// ASan) leave CodeGen out (LUAW_CODEGEN off) to save build time, so there the opt-in must
// report LUAW_ERRUNSUPPORTED cleanly; a build with CodeGen (Bazel's wrapper_test) checks that
// chunks are compiled natively and give the interpreter's results. Each test states its
// requirement first.
#include "luau_wrapper.h"

#include <gtest/gtest.h>

#include <cstring>

namespace {

luaw_State* new_state()
{
    luaw_Options opts{};
    opts.abi_version = LUAW_ABI_VERSION;
    opts.open_libs = 1;
    int32_t status = 0;
    return luaw_new(&opts, &status);
}

double run_number(luaw_State* S, const char* src)
{
    int32_t n = 0;
    luaw_Error err{};
    EXPECT_EQ(luaw_dostring(S, src, std::strlen(src), "test", 4, &n, &err), LUAW_OK) << (err.message ? err.message : "");
    luaw_Value v{};
    EXPECT_EQ(luaw_read_values(S, luaw_gettop(S), 1, &v), LUAW_OK);
    luaw_settop(S, 0);
    return v.type == LUAW_TNUMBER ? v.u.number : -1;
}

bool global_is_native(luaw_State* S, const char* name)
{
    int32_t type = 0;
    luaw_Error err{};
    EXPECT_EQ(luaw_getglobal(S, name, std::strlen(name), &type, &err), LUAW_OK);
    const bool native = luaw_is_native(S, -1) != 0;
    luaw_settop(S, 0);
    return native;
}

const char* kFib = "function fib(n) if n < 2 then return n end return fib(n - 1) + fib(n - 2) end return fib(20)";

} // namespace

TEST(Codegen, OptInReportsSupportTruthfully)
{
    // Requirement: luaw_enable_codegen succeeds exactly when luaw_codegen_supported() says
    // so; otherwise it is LUAW_ERRUNSUPPORTED with a message and the state keeps working.
    luaw_State* S = new_state();
    ASSERT_NE(S, nullptr);
    EXPECT_EQ(luaw_codegen_enabled(S), 0);
    luaw_Error err{};
    const int32_t rc = luaw_enable_codegen(S, &err);
    if (luaw_codegen_supported())
    {
        EXPECT_EQ(rc, LUAW_OK);
        EXPECT_EQ(luaw_codegen_enabled(S), 1);
        EXPECT_EQ(luaw_enable_codegen(S, &err), LUAW_OK); // idempotent
    }
    else
    {
        EXPECT_EQ(rc, LUAW_ERRUNSUPPORTED);
        ASSERT_NE(err.message, nullptr);
        EXPECT_NE(std::strstr(err.message, "not supported"), nullptr);
        EXPECT_EQ(luaw_codegen_enabled(S), 0);
    }
    EXPECT_EQ(run_number(S, kFib), 6765);
    EXPECT_EQ(luaw_enable_codegen(nullptr, nullptr), LUAW_ERRARG);
    EXPECT_EQ(luaw_close(S), LUAW_OK);
}

TEST(Codegen, ChunksAreNativeOnlyAfterTheOptIn)
{
    // Requirement: without the opt-in nothing is compiled natively; with it (where
    // supported) each chunk loaded afterwards is, with the interpreter's results.
    luaw_State* S = new_state();
    ASSERT_NE(S, nullptr);
    EXPECT_EQ(run_number(S, kFib), 6765);
    EXPECT_FALSE(global_is_native(S, "fib"));
    if (luaw_enable_codegen(S, nullptr) == LUAW_OK)
    {
        EXPECT_EQ(run_number(S, kFib), 6765);
        EXPECT_TRUE(global_is_native(S, "fib"));
    }
    EXPECT_EQ(luaw_close(S), LUAW_OK);
}
