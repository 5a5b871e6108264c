// Protected value operations for the bindings. Every index is validated here: Luau's own
// api_check compiles away in release builds, where a bad index would corrupt memory.
#include "internal.h"

#include <cstring>

using namespace luaw;

namespace luaw {

int valid_index(lua_State* L, int32_t idx)
{
    int top = lua_gettop(L);
    if (idx > 0 && idx <= top)
        return idx;
    if (idx < 0 && -idx <= top)
        return top + idx + 1;
    return 0;
}

} // namespace luaw

namespace {

// Result of a protected op that leaves `pushed` values on success. On failure the stack is
// back at `entry_top - consumed`.
int32_t finish(luaw_State* S, int rc, int entry_top, int consumed, luaw_Error* err)
{
    if (rc == LUA_OK)
        return set_ok(err);
    int32_t status = conclude_error(S, rc, err); // pops the error value
    lua_settop(S->current, entry_top - consumed);
    return status;
}

int32_t bad(luaw_State* S, luaw_Error* err, const char* what)
{
    return set_error(S, err, LUAW_ERRARG, what, std::strlen(what));
}

void push_value(luaw_State* S, lua_State* L, const luaw_Value* v)
{
    if (v->type == LUAW_TSTACK)
        lua_pushvalue(L, v->stack_index); // validated by the caller
    else
        push_scalar(S, L, v);
}

} // namespace

extern "C" int32_t luaw_gettop(luaw_State* S) noexcept
{
    return S ? lua_gettop(S->current) : -1;
}

extern "C" int32_t luaw_settop(luaw_State* S, int32_t idx) noexcept
{
    if (S == nullptr)
        return LUAW_ERRARG;
    lua_State* L = S->current;
    int top = lua_gettop(L);
    int new_top = idx >= 0 ? idx : top + idx + 1;
    if (new_top < 0)
        return LUAW_ERRARG;
    if (new_top > top && !lua_checkstack(L, new_top - top))
        return LUAW_ERRMEM;
    lua_settop(L, new_top);
    return LUAW_OK;
}

extern "C" int32_t luaw_type(luaw_State* S, int32_t idx) noexcept
{
    if (S == nullptr)
        return LUAW_TNONE;
    int abs = valid_index(S->current, idx);
    return abs ? lua_type(S->current, abs) : LUAW_TNONE;
}

extern "C" int32_t luaw_read_values(luaw_State* S, int32_t first, int32_t n, luaw_Value* out) noexcept
{
    if (S == nullptr || n < 0 || (n > 0 && out == nullptr))
        return LUAW_ERRARG;
    lua_State* L = S->current;
    if (n == 0)
        return LUAW_OK;
    int top = lua_gettop(L);
    if (first < 1 || first > top || n > top - first + 1)
        return LUAW_ERRARG;
    for (int32_t i = 0; i < n; ++i)
    {
        read_value(L, first + i, &out[i]);
    }
    return LUAW_OK;
}

extern "C" int32_t luaw_push_values(luaw_State* S, const luaw_Value* values, int32_t n, luaw_Error* err) noexcept
{
    if (S == nullptr || n < 0 || (n > 0 && values == nullptr))
        return bad(S, err, "luaw_push_values: bad argument");
    lua_State* L = S->current;
    int top = lua_gettop(L);
    for (int32_t i = 0; i < n; ++i)
    {
        const luaw_Value& v = values[i];
        if (v.type == LUAW_TSTACK && (v.stack_index < 1 || v.stack_index > top))
            return bad(S, err, "luaw_push_values: bad stack index");
        if (v.type == LUAW_TSTRING && v.u.string.ptr == nullptr && v.u.string.len != 0)
            return bad(S, err, "luaw_push_values: NULL string");
        if (v.type != LUAW_TSTACK && v.type != LUAW_TNIL && v.type != LUAW_TBOOLEAN && v.type != LUAW_TNUMBER &&
            v.type != LUAW_TINTEGER && v.type != LUAW_TVECTOR && v.type != LUAW_TSTRING && v.type != LUAW_TUSERDATA)
            return bad(S, err, "luaw_push_values: unsupported value type");
    }
    if (!has_stack_room(L, n))
        return set_error(S, err, LUAW_ERRMEM, "stack overflow", 14);
    // After the stack check, values that live in the TValue itself cannot raise: push them
    // directly. Strings and userdata allocate, so those go through a protected call.
    bool allocates = false;
    for (int32_t i = 0; i < n && !allocates; ++i)
        allocates = values[i].type == LUAW_TSTRING || values[i].type == LUAW_TUSERDATA;
    if (!allocates)
    {
        for (int32_t i = 0; i < n; ++i)
            push_value(S, L, &values[i]);
        return set_ok(err);
    }
    int rc = protect(L, [&](lua_State* L) {
        for (int32_t i = 0; i < n; ++i)
            push_value(S, L, &values[i]);
    });
    return finish(S, rc, top, 0, err);
}

extern "C" int32_t luaw_tostring(luaw_State* S, int32_t idx, const char** ptr, size_t* len, luaw_Error* err) noexcept
{
    if (S == nullptr || ptr == nullptr || len == nullptr)
        return bad(S, err, "luaw_tostring: bad argument");
    lua_State* L = S->current;
    int abs = valid_index(L, idx);
    if (abs == 0)
        return bad(S, err, "luaw_tostring: bad stack index");
    int top = lua_gettop(L);
    int rc = protect(L, [&](lua_State* L) {
        lua_rawcheckstack(L, 2);
        *ptr = luaL_tolstring(L, abs, len);
    });
    return finish(S, rc, top, 0, err);
}

extern "C" int32_t luaw_getglobal(luaw_State* S, const char* name, size_t len, int32_t* type, luaw_Error* err) noexcept
{
    if (S == nullptr || (name == nullptr && len != 0))
        return bad(S, err, "luaw_getglobal: bad argument");
    lua_State* L = S->current;
    int top = lua_gettop(L);
    int rc = protect(L, [&](lua_State* L) {
        lua_rawcheckstack(L, 2);
        lua_pushlstring(L, name ? name : "", len); // any bytes, incl. NUL and ""
        int t = lua_gettable(L, LUA_GLOBALSINDEX);
        if (type)
            *type = t;
    });
    return finish(S, rc, top, 0, err);
}

extern "C" int32_t luaw_setglobal(luaw_State* S, const char* name, size_t len, luaw_Error* err) noexcept
{
    if (S == nullptr || (name == nullptr && len != 0))
        return bad(S, err, "luaw_setglobal: bad argument");
    lua_State* L = S->current;
    int top = lua_gettop(L);
    if (top < 1)
        return bad(S, err, "luaw_setglobal: no value on the stack");
    int rc = protect(L, [&](lua_State* L) {
        lua_rawcheckstack(L, 2);
        lua_pushlstring(L, name ? name : "", len);
        lua_insert(L, -2);
        lua_settable(L, LUA_GLOBALSINDEX);
    });
    return finish(S, rc, top, 1, err);
}

extern "C" int32_t luaw_newtable(luaw_State* S, int32_t narr, int32_t nrec, luaw_Error* err) noexcept
{
    if (S == nullptr || narr < 0 || nrec < 0)
        return bad(S, err, "luaw_newtable: bad argument");
    lua_State* L = S->current;
    int top = lua_gettop(L);
    int rc = protect(L, [&](lua_State* L) {
        lua_rawcheckstack(L, 1);
        lua_createtable(L, narr, nrec);
    });
    return finish(S, rc, top, 0, err);
}

extern "C" int32_t luaw_getfield(luaw_State* S, int32_t idx, const char* key, size_t len, int32_t* type,
                                 luaw_Error* err) noexcept
{
    if (S == nullptr || (key == nullptr && len != 0))
        return bad(S, err, "luaw_getfield: bad argument");
    lua_State* L = S->current;
    int abs = valid_index(L, idx);
    if (abs == 0)
        return bad(S, err, "luaw_getfield: bad stack index");
    int top = lua_gettop(L);
    int rc = protect(L, [&](lua_State* L) {
        lua_rawcheckstack(L, 2);
        lua_pushlstring(L, key ? key : "", len);
        int t = lua_gettable(L, abs); // metamethods run here, protected
        if (type)
            *type = t;
    });
    return finish(S, rc, top, 0, err);
}

extern "C" int32_t luaw_setfield(luaw_State* S, int32_t idx, const char* key, size_t len, luaw_Error* err) noexcept
{
    if (S == nullptr || (key == nullptr && len != 0))
        return bad(S, err, "luaw_setfield: bad argument");
    lua_State* L = S->current;
    int top = lua_gettop(L);
    int abs = valid_index(L, idx);
    if (abs == 0 || abs == top)
        return bad(S, err, "luaw_setfield: bad stack index");
    int rc = protect(L, [&](lua_State* L) {
        lua_rawcheckstack(L, 2);
        lua_pushlstring(L, key ? key : "", len);
        lua_insert(L, -2);
        lua_settable(L, abs);
    });
    return finish(S, rc, top, 1, err);
}

extern "C" int32_t luaw_geti(luaw_State* S, int32_t idx, int64_t i, int32_t* type, luaw_Error* err) noexcept
{
    if (S == nullptr)
        return bad(S, err, "luaw_geti: bad argument");
    lua_State* L = S->current;
    int abs = valid_index(L, idx);
    if (abs == 0)
        return bad(S, err, "luaw_geti: bad stack index");
    int top = lua_gettop(L);
    int rc = protect(L, [&](lua_State* L) {
        lua_rawcheckstack(L, 2);
        lua_pushnumber(L, (double)i);
        int t = lua_gettable(L, abs);
        if (type)
            *type = t;
    });
    return finish(S, rc, top, 0, err);
}

extern "C" int32_t luaw_seti(luaw_State* S, int32_t idx, int64_t i, luaw_Error* err) noexcept
{
    if (S == nullptr)
        return bad(S, err, "luaw_seti: bad argument");
    lua_State* L = S->current;
    int top = lua_gettop(L);
    int abs = valid_index(L, idx);
    if (abs == 0 || abs == top)
        return bad(S, err, "luaw_seti: bad stack index");
    int rc = protect(L, [&](lua_State* L) {
        lua_rawcheckstack(L, 2);
        lua_pushnumber(L, (double)i);
        lua_insert(L, -2);
        lua_settable(L, abs);
    });
    return finish(S, rc, top, 1, err);
}

extern "C" uintptr_t luaw_topointer(luaw_State* S, int32_t idx) noexcept
{
    if (S == nullptr)
        return 0;
    lua_State* L = S->current;
    int abs = valid_index(L, idx);
    if (abs == 0)
        return 0;
    switch (lua_type(L, abs))
    {
    case LUA_TTABLE:
    case LUA_TFUNCTION:
    case LUA_TUSERDATA:
    case LUA_TTHREAD:
    case LUA_TBUFFER:
        return reinterpret_cast<uintptr_t>(lua_topointer(L, abs));
    }
    return 0;
}

extern "C" int32_t luaw_rawlen(luaw_State* S, int32_t idx, size_t* len) noexcept
{
    if (S == nullptr || len == nullptr)
        return LUAW_ERRARG;
    lua_State* L = S->current;
    int abs = valid_index(L, idx);
    if (abs == 0)
        return LUAW_ERRARG;
    int t = lua_type(L, abs);
    if (t != LUA_TTABLE && t != LUA_TSTRING && t != LUA_TBUFFER && t != LUA_TUSERDATA)
        return LUAW_ERRARG;
    *len = (size_t)lua_objlen(L, abs);
    return LUAW_OK;
}

extern "C" int32_t luaw_next(luaw_State* S, int32_t idx, int32_t* more, luaw_Error* err) noexcept
{
    if (S == nullptr || more == nullptr)
        return bad(S, err, "luaw_next: bad argument");
    lua_State* L = S->current;
    int top = lua_gettop(L);
    int abs = valid_index(L, idx);
    if (abs == 0 || abs == top || lua_type(L, abs) != LUA_TTABLE)
        return bad(S, err, "luaw_next: not a table below the key");
    int rc = protect(L, [&](lua_State* L) {
        lua_rawcheckstack(L, 2);
        *more = lua_next(L, abs); // raises on an invalid key
    });
    return finish(S, rc, top, 1, err);
}

extern "C" int32_t luaw_ref(luaw_State* S, int32_t idx, int32_t* ref, luaw_Error* err) noexcept
{
    if (S == nullptr || ref == nullptr)
        return bad(S, err, "luaw_ref: bad argument");
    lua_State* L = S->current;
    int abs = valid_index(L, idx);
    if (abs == 0)
        return bad(S, err, "luaw_ref: bad stack index");
    int top = lua_gettop(L);
    int rc = protect(L, [&](lua_State* L) { *ref = lua_ref(L, abs); });
    return finish(S, rc, top, 0, err);
}

extern "C" int32_t luaw_push_ref(luaw_State* S, int32_t ref) noexcept
{
    if (S == nullptr || ref <= 0)
        return LUAW_ERRARG;
    if (!lua_checkstack(S->current, 1))
        return LUAW_ERRMEM;
    lua_getref(S->current, ref);
    return LUAW_OK;
}

extern "C" void luaw_unref(luaw_State* S, int32_t ref) noexcept
{
    if (S != nullptr && ref > 0)
        lua_unref(S->L, ref);
}
