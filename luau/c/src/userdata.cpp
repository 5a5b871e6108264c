// Host userdata: (type_id, handle) blocks with per-type metatables and a release queue.
#include "internal.h"

#include <cstring>

using namespace luaw;

namespace luaw {

void read_value(lua_State* L, int idx, luaw_Value* v)
{
    read_slot(L->base + (idx - 1), idx, v); // idx is a valid absolute index (callers check)
}

void push_scalar(luaw_State* S, lua_State* L, const luaw_Value* v)
{
    switch (v->type)
    {
    case LUAW_TNIL:
        lua_pushnil(L);
        break;
    case LUAW_TBOOLEAN:
        lua_pushboolean(L, v->u.boolean);
        break;
    case LUAW_TNUMBER:
        lua_pushnumber(L, v->u.number);
        break;
    case LUAW_TINTEGER:
        lua_pushinteger64(L, v->u.integer);
        break;
    case LUAW_TVECTOR:
        lua_pushvector(L, v->u.vector[0], v->u.vector[1], v->u.vector[2]);
        break;
    case LUAW_TSTRING:
        lua_pushlstring(L, v->u.string.ptr, v->u.string.len);
        break;
    case LUAW_TUSERDATA:
        push_host_userdata(S, L, v->u.userdata.type_id, v->u.userdata.handle);
        break;
    default:
        luaL_error(L, "value of unsupported type %d", (int)v->type);
    }
}

void push_host_userdata(luaw_State* S, lua_State* L, uint32_t type_id, uint64_t handle)
{
    lua_rawcheckstack(L, 2);
    lua_getref(L, S->userdata_types_ref);
    if (lua_rawgeti(L, -1, (int)type_id) != LUA_TTABLE || type_id == 0 || handle == 0)
    {
        lua_pop(L, 2);
        luaL_error(L, "userdata type %u is not registered", (unsigned)type_id);
    }
    HostUserdata* ud = static_cast<HostUserdata*>(lua_newuserdatatagged(L, sizeof(HostUserdata), kHostUserdataTag));
    ud->handle = handle;
    ud->type_id = type_id;
    lua_insert(L, -2);
    lua_setmetatable(L, -2); // userdata, metatable -> userdata
    lua_remove(L, -2);       // the types table
}

// Runs inside the GC (and at lua_close): no Luau API, no host code; only queue the handle.
void host_userdata_destructor(lua_State* L, void* block)
{
    luaw_State* S = from_lua(L);
    const HostUserdata* ud = static_cast<const HostUserdata*>(block);
    if (S == nullptr || ud->handle == 0)
        return;
    try
    {
        S->released.push_back(ud->handle);
    }
    catch (...)
    {
        // Out of C++ memory inside the GC: the host keeps the object until the state closes.
    }
}

} // namespace luaw

extern "C" int32_t luaw_set_userdata_type(luaw_State* S, uint32_t type_id, const char* name, size_t name_len,
                                          luaw_Error* err) noexcept
{
    if (S == nullptr || type_id == 0 || type_id > 0x7fffffffu || (name == nullptr && name_len != 0))
        return set_error(S, err, LUAW_ERRARG, "luaw_set_userdata_type: bad argument", 36);
    lua_State* L = S->current;
    int top = lua_gettop(L);
    if (top < 1 || lua_type(L, -1) != LUA_TTABLE)
        return set_error(S, err, LUAW_ERRARG, "luaw_set_userdata_type: no table on the stack", 45);
    int rc = protect(L, [&](lua_State* L) {
        lua_rawcheckstack(L, 3);
        lua_pushlstring(L, name ? name : "", name_len);
        lua_setfield(L, -2, "__type");
        // Host types stay the host's, sandboxed or not: getmetatable gives the type name, not
        // the table; setmetatable is refused; the metatable and a method table are read-only.
        lua_pushlstring(L, name ? name : "", name_len);
        lua_setfield(L, -2, "__metatable");
        if (lua_rawgetfield(L, -1, "__index") == LUA_TTABLE)
            lua_setreadonly(L, -1, true);
        lua_pop(L, 1);
        lua_setreadonly(L, -1, true);
        lua_getref(L, S->userdata_types_ref);
        lua_insert(L, -2);
        lua_rawseti(L, -2, (int)type_id);
        lua_pop(L, 1);
    });
    if (rc != LUA_OK)
    {
        int32_t status = conclude_error(S, rc, err);
        lua_settop(L, top - 1);
        return status;
    }
    return set_ok(err);
}

extern "C" int32_t luaw_push_userdata(luaw_State* S, uint32_t type_id, uint64_t handle, luaw_Error* err) noexcept
{
    if (S == nullptr || type_id == 0 || handle == 0)
        return set_error(S, err, LUAW_ERRARG, "luaw_push_userdata: bad argument", 32);
    lua_State* L = S->current;
    int top = lua_gettop(L);
    int rc = protect(L, [&](lua_State* L) { push_host_userdata(S, L, type_id, handle); });
    if (rc != LUA_OK)
    {
        int32_t status = conclude_error(S, rc, err);
        lua_settop(L, top);
        return status;
    }
    return set_ok(err);
}

extern "C" size_t luaw_released_count(luaw_State* S) noexcept
{
    return S ? S->released.size() : 0;
}

extern "C" size_t luaw_drain_released(luaw_State* S, uint64_t* out, size_t cap) noexcept
{
    if (S == nullptr || out == nullptr)
        return 0;
    size_t n = S->released.size() < cap ? S->released.size() : cap;
    size_t first = S->released.size() - n;
    std::memcpy(out, S->released.data() + first, n * sizeof(uint64_t));
    S->released.resize(first);
    return n;
}
