// Tests of luaw_table_get / luaw_table_set (keys of any type, raw or with metamethods).
// Each test states the requirement it checks first.
#include "luau_wrapper.h"

#include <gtest/gtest.h>

#include <cstring>
#include <string>

namespace {

struct TableState {
    luaw_State* S = nullptr;
    luaw_Error err{};

    TableState()
    {
        luaw_Options opts{LUAW_ABI_VERSION, 0, 1};
        S = luaw_new(&opts, nullptr);
    }
    ~TableState() { luaw_close(S); }

    // Runs src and leaves its one result on the stack.
    void push_result(const std::string& src)
    {
        int32_t n = 0;
        ASSERT_EQ(luaw_dostring(S, src.data(), src.size(), "test", 4, &n, &err), LUAW_OK) << std::string(err.message, err.message_len);
        ASSERT_EQ(n, 1);
    }
    void push_number(double d)
    {
        luaw_Value v{};
        v.type = LUAW_TNUMBER;
        v.u.number = d;
        ASSERT_EQ(luaw_push_values(S, &v, 1, &err), LUAW_OK);
    }
    void push_bool(bool b)
    {
        luaw_Value v{};
        v.type = LUAW_TBOOLEAN;
        v.u.boolean = b;
        ASSERT_EQ(luaw_push_values(S, &v, 1, &err), LUAW_OK);
    }
    void push_nil()
    {
        luaw_Value v{};
        v.type = LUAW_TNIL;
        ASSERT_EQ(luaw_push_values(S, &v, 1, &err), LUAW_OK);
    }
    double number_at(int32_t idx)
    {
        luaw_Value v{};
        EXPECT_EQ(luaw_read_values(S, idx, 1, &v), LUAW_OK);
        EXPECT_EQ(v.type, LUAW_TNUMBER);
        return v.u.number;
    }
};

// Requirement: a boolean key reads and writes the table itself; raw access skips __index and
// __newindex while the plain one runs them; the key is replaced by the value.
TEST(TableAccess, AnyKeyRawAndMetamethods)
{
    TableState t;
    t.push_result("log = 0 return setmetatable({[true] = 7}, {__index = function() return 99 end,"
                  " __newindex = function(t, k, v) log = log + 1 rawset(t, k, v) end})");
    const int32_t tab = luaw_gettop(t.S);
    int32_t type = -1;
    t.push_bool(true);
    ASSERT_EQ(luaw_table_get(t.S, tab, 1, &type, &t.err), LUAW_OK);
    EXPECT_EQ(type, LUAW_TNUMBER);
    EXPECT_EQ(t.number_at(tab + 1), 7);
    EXPECT_EQ(luaw_gettop(t.S), tab + 1);
    luaw_settop(t.S, tab);

    t.push_bool(false);
    ASSERT_EQ(luaw_table_get(t.S, tab, 1, &type, &t.err), LUAW_OK);
    EXPECT_EQ(type, LUAW_TNIL); // raw: no __index
    luaw_settop(t.S, tab);
    t.push_bool(false);
    ASSERT_EQ(luaw_table_get(t.S, tab, 0, &type, &t.err), LUAW_OK);
    EXPECT_EQ(t.number_at(tab + 1), 99); // through __index
    luaw_settop(t.S, tab);

    t.push_number(1);
    t.push_number(10);
    ASSERT_EQ(luaw_table_set(t.S, tab, 1, &t.err), LUAW_OK); // raw: no __newindex
    t.push_number(2);
    t.push_number(20);
    ASSERT_EQ(luaw_table_set(t.S, tab, 0, &t.err), LUAW_OK);
    EXPECT_EQ(luaw_gettop(t.S), tab);
    int32_t n = 0;
    ASSERT_EQ(luaw_dostring(t.S, "return log", 10, "test", 4, &n, &t.err), LUAW_OK);
    EXPECT_EQ(t.number_at(tab + 1), 1);
}

// Requirement: failures are statuses with the stack restored: a metamethod error, a nil key,
// a raw write to a read-only table, and an index that is not a table below the key.
TEST(TableAccess, FailuresRestoreTheStack)
{
    TableState t;
    t.push_result("return setmetatable({}, {__index = function() error('boom') end})");
    const int32_t tab = luaw_gettop(t.S);
    int32_t type = 0;
    t.push_number(1);
    EXPECT_EQ(luaw_table_get(t.S, tab, 0, &type, &t.err), LUAW_ERRRUN);
    EXPECT_NE(std::string(t.err.message, t.err.message_len).find("boom"), std::string::npos);
    EXPECT_EQ(luaw_gettop(t.S), tab);

    t.push_nil();
    t.push_number(1);
    EXPECT_EQ(luaw_table_set(t.S, tab, 1, &t.err), LUAW_ERRRUN); // nil key
    EXPECT_EQ(luaw_gettop(t.S), tab);

    t.push_result("return table.freeze({})");
    const int32_t frozen = luaw_gettop(t.S);
    t.push_number(1);
    t.push_number(1);
    EXPECT_EQ(luaw_table_set(t.S, frozen, 1, &t.err), LUAW_ERRARG);
    EXPECT_EQ(luaw_gettop(t.S), frozen);

    t.push_number(1);
    EXPECT_EQ(luaw_table_get(t.S, luaw_gettop(t.S), 0, &type, &t.err), LUAW_ERRARG); // the key itself
    EXPECT_EQ(luaw_gettop(t.S), frozen);
}

} // namespace
