// The benchmark floor: plain lua_CFunctions, as an embedder writing C against lua.h would.
#include "internal.h"

#include "luau_bench_floor.h"

#include <string>

using namespace luaw;

namespace {

int floor_noop(lua_State*)
{
    return 0;
}

int floor_add(lua_State* L)
{
    lua_pushnumber(L, luaL_checknumber(L, 1) + luaL_checknumber(L, 2));
    return 1;
}

int floor_string16(lua_State* L)
{
    lua_pushlstring(L, "0123456789abcdef", 16);
    return 1;
}

int floor_error(lua_State* L)
{
    lua_pushliteral(L, "floor error");
    lua_error(L);
}

int floor_echo_distinct(lua_State* L)
{
    size_t len = 0;
    const char* s = luaL_checklstring(L, 1, &len);
    luaL_Strbuf b;
    char* out = luaL_buffinitsize(L, &b, len);
    for (size_t i = 0; i < len; ++i)
        out[i] = s[len - 1 - i]; // reversed: a distinct string of the same length
    luaL_pushresultsize(&b, len);
    return 1;
}

int floor_yield(lua_State* L)
{
    lua_pushnumber(L, 1);
    return lua_yield(L, 1);
}

luaw_FloorHook floor_hook = nullptr;

// LUAW_FLOOR_HOOKED: one call of the host's empty exported function, then F's work.
template<lua_CFunction F>
int hooked(lua_State* L)
{
    floor_hook();
    return F(L);
}

lua_CFunction floor_function(int32_t which)
{
    if (which & LUAW_FLOOR_HOOKED)
    {
        if (floor_hook == nullptr)
            return nullptr;
        switch (which & ~LUAW_FLOOR_HOOKED)
        {
        case LUAW_FLOOR_NOOP:
            return hooked<floor_noop>;
        case LUAW_FLOOR_ADD:
            return hooked<floor_add>;
        case LUAW_FLOOR_STRING16:
            return hooked<floor_string16>;
        case LUAW_FLOOR_ERROR:
            return hooked<floor_error>;
        case LUAW_FLOOR_ECHO_DISTINCT:
            return hooked<floor_echo_distinct>;
        default:
            return nullptr;
        }
    }
    switch (which)
    {
    case LUAW_FLOOR_NOOP:
        return floor_noop;
    case LUAW_FLOOR_ADD:
        return floor_add;
    case LUAW_FLOOR_STRING16:
        return floor_string16;
    case LUAW_FLOOR_ERROR:
        return floor_error;
    case LUAW_FLOOR_ECHO_DISTINCT:
        return floor_echo_distinct;
    case LUAW_FLOOR_YIELD:
        return floor_yield;
    default:
        return nullptr;
    }
}

} // namespace

extern "C" void luaw_floor_set_hook(luaw_FloorHook hook) noexcept
{
    floor_hook = hook;
}

extern "C" int32_t luaw_floor_register(luaw_State* S, int32_t which, const char* name, size_t name_len) noexcept
{
    lua_CFunction fn = floor_function(which);
    if (S == nullptr || fn == nullptr || (name == nullptr && name_len != 0))
        return LUAW_ERRARG;
    lua_State* L = S->current;
    int rc = protect(L, [&](lua_State* L) {
        lua_rawcheckstack(L, 2);
        lua_pushlstring(L, name, name_len);
        lua_pushcfunction(L, fn, "floor");
        lua_settable(L, LUA_GLOBALSINDEX);
    });
    if (rc != LUA_OK)
        lua_pop(L, 1);
    return rc;
}

extern "C" int32_t luaw_floor_register_many(luaw_State* S, int32_t which, const char* prefix, size_t prefix_len,
                                            int32_t count) noexcept
{
    if (S == nullptr || count < 0)
        return LUAW_ERRARG;
    std::string name;
    try
    {
        name.assign(prefix ? prefix : "", prefix_len);
    }
    catch (...)
    {
        return LUAW_ERRMEM;
    }
    for (int32_t i = 1; i <= count; ++i)
    {
        name.resize(prefix_len);
        name += std::to_string(i);
        int32_t rc = luaw_floor_register(S, which, name.data(), name.size());
        if (rc != LUAW_OK)
            return rc;
    }
    return LUAW_OK;
}

extern "C" int32_t luaw_floor_call_ref(luaw_State* S, int32_t ref, double arg, double* result) noexcept
{
    if (S == nullptr || result == nullptr || ref <= 0)
        return LUAW_ERRARG;
    lua_State* L = S->current;
    if (!lua_checkstack(L, 3))
        return LUAW_ERRMEM;
    lua_getref(L, ref);
    lua_pushnumber(L, arg);
    int rc = lua_pcall(L, 1, 1, 0);
    if (rc != LUA_OK)
    {
        lua_pop(L, 1);
        return rc;
    }
    *result = lua_tonumber(L, -1);
    lua_pop(L, 1);
    return LUAW_OK;
}

extern "C" int32_t luaw_floor_resume_ref(luaw_State* S, int32_t ref, double arg, double* yielded) noexcept
{
    if (S == nullptr || yielded == nullptr || ref <= 0)
        return LUAW_ERRARG;
    lua_State* L = S->current;
    if (!lua_checkstack(L, 1))
        return LUAW_ERRMEM;
    lua_getref(L, ref);
    lua_State* co = lua_tothread(L, -1);
    lua_pop(L, 1); // the registry keeps the thread alive
    if (co == nullptr || !lua_checkstack(co, 1))
        return LUAW_ERRARG;
    if (lua_status(co) == LUA_YIELD)
        lua_settop(co, 0); // what the last round trip yielded (a new thread holds its body)
    lua_pushnumber(co, arg);
    const int rc = lua_resume(co, L, 1);
    if (rc != LUA_YIELD)
    {
        lua_settop(co, 0);
        return rc == LUA_OK ? LUAW_ERRRUN : rc;
    }
    *yielded = lua_tonumber(co, -1);
    return LUAW_OK;
}
