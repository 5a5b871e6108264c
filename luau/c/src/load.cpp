// Loading source on the calling thread: the host side of a loadstring.
//
// Compiled here from source (never bytecode from outside), and loaded with luau_load on a
// thread whose globals are the environment the function gets. Luau resolves a safe
// environment's imports (GETIMPORT constants: globals, library members) at load time against
// the loading thread's globals, so the environment must be in place before luau_load, not
// set afterwards.
#include "internal.h"

#include <cstdlib>
#include <cstring>
#include <string>

using namespace luaw;

namespace {

// Pushes the environment the loaded function gets: the calling thread's globals. On a
// sandboxed state whose calling thread still has the shared read-only globals (a chunk
// luaw_load gave its own global table): inside a host function, the global table of the
// nearest calling Luau function, as loadstring does; otherwise a new own global table, as
// luaw_load gives. Raises only when memory runs out.
void push_load_env(luaw_State* S, lua_State* L)
{
    lua_rawcheckstack(L, 2);
    if (!S->sandboxed || L->gt != S->L->gt)
    {
        lua_pushvalue(L, LUA_GLOBALSINDEX);
        return;
    }
    if (S->host_depth > 0)
    {
        lua_Debug ar;
        for (int level = 1; lua_getinfo(L, level, "fs", &ar); ++level)
        {
            const bool luau_function = ar.what == nullptr || std::strcmp(ar.what, "C") != 0;
            if (luau_function)
            {
                lua_getfenv(L, -1);
                lua_remove(L, -2);
                if (lua_istable(L, -1))
                    return;
                lua_pop(L, 1);
                break;
            }
            lua_pop(L, 1);
        }
    }
    push_own_globals(L);
}

} // namespace

extern "C" int32_t luaw_load_source(luaw_State* S, const char* src, size_t src_len, const char* chunkname,
                                    size_t chunkname_len, const luaw_CompileOptions* opts, luaw_Error* err) noexcept
{
    if (S == nullptr || (src == nullptr && src_len != 0) || (chunkname == nullptr && chunkname_len != 0))
        return set_error(S, err, LUAW_ERRARG, "luaw_load_source: bad argument", 30);
    if (opts != nullptr && (opts->optimization_level < 0 || opts->optimization_level > 2 || opts->debug_level < 0 ||
                               opts->debug_level > 2))
        return set_error(S, err, LUAW_ERRARG, "luaw_load_source: bad compile options", 37);
    lua_CompileOptions options;
    std::memset(&options, 0, sizeof(options));
    options.optimizationLevel = opts ? opts->optimization_level : 1;
    options.debugLevel = opts ? opts->debug_level : 1;
    options.typeInfoLevel = 1; // argument types: native code specialises on them

    std::string name;
    char* bytecode = nullptr;
    size_t size = 0;
    try
    {
        name.assign(chunkname_len ? chunkname : "chunk", chunkname_len ? chunkname_len : 5);
        bytecode = luau_compile(src ? src : "", src_len, &options, &size); // may throw bad_alloc
    }
    catch (...)
    {
        bytecode = nullptr;
    }
    if (bytecode == nullptr)
        return set_error(S, err, LUAW_ERRMEM, "not enough memory", 17);

    lua_State* L = S->current;
    const int top = lua_gettop(L);
    int load_rc = 0;
    // A compile error is bytecode version 0 + ":<line>: <text>": luau_load turns it into the
    // message naming the chunk and pushes that instead of a function.
    int rc = protect(L, [&](lua_State* L) {
        push_load_env(S, L);
        lua_State* T = lua_newthread(L); // env, T
        lua_pushvalue(L, -2);
        lua_xmove(L, T, 1);
        lua_replace(T, LUA_GLOBALSINDEX);
        load_rc = luau_load(T, name.c_str(), bytecode, size, 0);
        if (load_rc == 0)
            codegen_compile(T);
        lua_xmove(T, L, 1); // env, T, function or message
        lua_replace(L, -3);
        lua_pop(L, 1);
    });
    std::free(bytecode);
    if (rc != LUA_OK)
    {
        lua_settop(L, top);
        return set_error(S, err, LUAW_ERRMEM, "not enough memory", 17);
    }
    if (load_rc != 0)
    {
        size_t len = 0;
        const char* msg = lua_tolstring(L, -1, &len);
        const int32_t status = msg != nullptr && std::strstr(msg, "not enough memory") ? LUAW_ERRMEM : LUAW_ERRSYNTAX;
        set_error(S, err, status, msg ? msg : "load failed", msg ? len : 11);
        lua_settop(L, top);
        return status;
    }
    return set_ok(err);
}
