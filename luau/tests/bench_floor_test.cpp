// The benchmark floor must compute what the benchmarks' host functions compute, or the
// ratios compare different work.
#include "luau_bench_floor.h"

#include <gtest/gtest.h>

#include <cstring>
#include <string>

TEST(BenchFloor, FunctionsDoTheBenchmarkedWork)
{
    luaw_State* S = luaw_new(nullptr, nullptr);
    ASSERT_NE(S, nullptr);
    ASSERT_EQ(luaw_floor_register(S, LUAW_FLOOR_NOOP, "noop", 4), LUAW_OK);
    ASSERT_EQ(luaw_floor_register(S, LUAW_FLOOR_ADD, "add", 3), LUAW_OK);
    ASSERT_EQ(luaw_floor_register(S, LUAW_FLOOR_STRING16, "str16", 5), LUAW_OK);
    ASSERT_EQ(luaw_floor_register(S, LUAW_FLOOR_ERROR, "fail", 4), LUAW_OK);
    ASSERT_EQ(luaw_floor_register(S, LUAW_FLOOR_ECHO_DISTINCT, "echo", 4), LUAW_OK);
    EXPECT_EQ(luaw_floor_register(S, 99, "x", 1), LUAW_ERRARG);
    ASSERT_EQ(luaw_floor_register_many(S, LUAW_FLOOR_NOOP, "f", 1, 1000), LUAW_OK);

    const char* src = "noop() f1000()\n"
                      "local ok, e = pcall(fail)\n"
                      "local s = string.rep('a', 1023) .. 'b'\n"
                      "local r = echo(s)\n"
                      "return add(2, 3), #str16(), ok, e, #r, r ~= s, r:sub(1, 1)";
    luaw_Error err{};
    int32_t n = 0;
    ASSERT_EQ(luaw_dostring(S, src, std::strlen(src), "floor", 5, &n, &err), LUAW_OK) << err.message;
    ASSERT_EQ(n, 7);
    luaw_Value v[7];
    ASSERT_EQ(luaw_read_values(S, 1, 7, v), LUAW_OK);
    EXPECT_EQ(v[0].u.number, 5);
    EXPECT_EQ(v[1].u.number, 16);
    EXPECT_EQ(v[2].u.boolean, 0);
    EXPECT_EQ(std::string(v[3].u.string.ptr, v[3].u.string.len), "floor error");
    EXPECT_EQ(v[4].u.number, 1024);
    EXPECT_EQ(v[5].u.boolean, 1);
    EXPECT_EQ(std::string(v[6].u.string.ptr, v[6].u.string.len), "b");
    luaw_settop(S, 0);

    const char* def = "return function(x) return x * 2 end";
    ASSERT_EQ(luaw_dostring(S, def, std::strlen(def), "def", 3, &n, &err), LUAW_OK);
    int32_t ref = 0;
    ASSERT_EQ(luaw_ref(S, -1, &ref, &err), LUAW_OK);
    double result = 0;
    ASSERT_EQ(luaw_floor_call_ref(S, ref, 21, &result), LUAW_OK);
    EXPECT_EQ(result, 42);
    luaw_settop(S, 0);

    // resume_yield's floor: a thread whose loop calls a raw yielding function; each resume
    // hands it one number and gets back what it yielded.
    ASSERT_EQ(luaw_floor_register(S, LUAW_FLOOR_YIELD, "tick", 4), LUAW_OK);
    const char* loop = "return function() local n = 0 while true do n = n + tick(n) end end";
    ASSERT_EQ(luaw_dostring(S, loop, std::strlen(loop), "loop", 4, &n, &err), LUAW_OK);
    ASSERT_EQ(luaw_thread_new(S, &err), LUAW_OK);
    int32_t tref = 0;
    ASSERT_EQ(luaw_ref(S, -1, &tref, &err), LUAW_OK);
    luaw_settop(S, 0);
    for (int i = 0; i < 3; ++i)
    {
        double yielded = 0;
        ASSERT_EQ(luaw_floor_resume_ref(S, tref, 1, &yielded), LUAW_OK);
        EXPECT_EQ(yielded, 1);
    }
    EXPECT_EQ(luaw_gettop(S), 0);
    double unused = 0;
    EXPECT_EQ(luaw_floor_resume_ref(S, ref, 1, &unused), LUAW_ERRARG); // a function, not a thread
    EXPECT_EQ(luaw_close(S), LUAW_OK);
}
