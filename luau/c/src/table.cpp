// Table access with a key of any type (on the stack), for host-held table handles.
#include "internal.h"

#include <cstring>

using namespace luaw;

namespace {

// A refused call pops its operands too (npop of them, as a successful one would).
int32_t bad_table(luaw_State* S, luaw_Error* err, const char* what, int npop)
{
    lua_State* L = S->current;
    lua_settop(L, lua_gettop(L) >= npop ? lua_gettop(L) - npop : 0);
    return set_error(S, err, LUAW_ERRARG, what, std::strlen(what));
}

int32_t finish_table(luaw_State* S, int rc, int restore, luaw_Error* err)
{
    if (rc == LUA_OK)
        return set_ok(err);
    int32_t status = conclude_error(S, rc, err); // pops the error value
    lua_settop(S->current, restore);
    return status;
}

} // namespace

extern "C" int32_t luaw_table_get(luaw_State* S, int32_t idx, int32_t raw, int32_t* type, luaw_Error* err) noexcept
{
    if (S == nullptr)
        return LUAW_ERRARG;
    lua_State* L = S->current;
    int top = lua_gettop(L);
    int abs = valid_index(L, idx);
    if (abs == 0 || abs == top || lua_type(L, abs) != LUA_TTABLE)
        return bad_table(S, err, "luaw_table_get: not a table below the key", 1);
    int rc = protect(L, [&](lua_State* L) {
        lua_rawcheckstack(L, 1);
        int t = raw ? lua_rawget(L, abs) : lua_gettable(L, abs); // metamethods run here, protected
        if (type)
            *type = t;
    });
    return finish_table(S, rc, top - 1, err);
}

extern "C" int32_t luaw_table_set(luaw_State* S, int32_t idx, int32_t raw, luaw_Error* err) noexcept
{
    if (S == nullptr)
        return LUAW_ERRARG;
    lua_State* L = S->current;
    int top = lua_gettop(L);
    int abs = valid_index(L, idx);
    if (abs == 0 || abs >= top - 1 || lua_type(L, abs) != LUA_TTABLE)
        return bad_table(S, err, "luaw_table_set: not a table below the key and value", 2);
    if (raw && lua_getreadonly(L, abs))
        return bad_table(S, err, "attempt to modify a readonly table", 2);
    int rc = protect(L, [&](lua_State* L) {
        if (raw)
            lua_rawset(L, abs); // raises for a nil or NaN key
        else
            lua_settable(L, abs);
    });
    return finish_table(S, rc, top - 2, err);
}
