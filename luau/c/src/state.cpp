// State lifetime, memory budget, build facts.
#include "internal.h"

#include <cstdlib>
#include <cstring>
#include <new>

using namespace luaw;

namespace {

// Luau allocator contract: (ud, NULL, 0, n) allocates, (ud, p, o, 0) frees, and shrinking
// never fails. Only growth past the budget is refused; Luau then raises LUA_ERRMEM.
void* budget_alloc(void* ud, void* ptr, size_t osize, size_t nsize)
{
    luaw_State* S = static_cast<luaw_State*>(ud);
    if (nsize == 0)
    {
        std::free(ptr);
        S->memory_used -= osize;
        return nullptr;
    }
    if (nsize > osize && S->memory_limit != 0 && !S->relax_limit && S->memory_used - osize + nsize > S->memory_limit)
        return nullptr;
    void* block = std::realloc(ptr, nsize);
    if (block == nullptr)
        return nullptr;
    S->memory_used = S->memory_used - osize + nsize;
    return block;
}

} // namespace

namespace {

// Message handler of luaw_pcall: records the traceback in C++ memory (nothing is allocated
// on the Luau heap, so it also works for out-of-memory errors) and keeps the error value.
int traceback_handler(lua_State* L)
{
    luaw_State* S = from_lua(L);
    if (S != nullptr)
    {
        // Level 1 is the function that raised: a host function's trampoline means the host's
        // error escaped every pcall in between.
        S->escaped_token = escaped_host_token(S, L, 1);
        capture_traceback(S, L, 1);
    }
    lua_settop(L, 1);
    return 1;
}

} // namespace

namespace luaw {

// The C function behind every coroutine.wrap closure (found once, by making one).
static std::atomic<lua_CFunction> coroutine_wrap_body{nullptr};

static int wrap_probe(lua_State*)
{
    return 0;
}

static void find_coroutine_wrap_body(lua_State* L)
{
    if (coroutine_wrap_body.load(std::memory_order_relaxed) != nullptr)
        return;
    lua_getglobal(L, "coroutine");
    if (lua_istable(L, -1))
    {
        lua_getfield(L, -1, "wrap");
        lua_pushcfunction(L, wrap_probe, "wrap_probe");
        lua_call(L, 1, 1);
        coroutine_wrap_body.store(lua_tocfunction(L, -1), std::memory_order_relaxed);
        lua_pop(L, 1);
    }
    lua_pop(L, 1);
}

// A main chunk (luaw_dostring, luaw_run) runs on a thread of its own so that it can yield
// and nest pcall to Luau's depth, but it is not a coroutine: as in lua.c, mlua and
// gopher-lua, coroutine.running() is nil there. Its thread carries this marker as thread data.
static char main_chunk_marker;

void mark_main_chunk(lua_State* co)
{
    lua_setthreaddata(co, &main_chunk_marker);
}

static int coroutine_running(lua_State* L)
{
    const bool main_thread = lua_pushthread(L) != 0;
    if (main_thread || lua_getthreaddata(L) == &main_chunk_marker)
        lua_pushnil(L);
    return 1;
}

static void install_coroutine_running(lua_State* L)
{
    lua_getglobal(L, "coroutine");
    if (lua_istable(L, -1))
    {
        lua_pushcfunction(L, coroutine_running, "running");
        lua_setfield(L, -2, "running");
    }
    lua_pop(L, 1);
}

// Opens the libraries whose LUAW_LIB_* bit is set, in luaL_openlibs's order.
static void open_selected_libs(lua_State* L, int32_t libs)
{
    static const struct {
        int32_t bit;
        const char* name;
        lua_CFunction open;
    } table[] = {
        {LUAW_LIB_BASE, "", luaopen_base},
        {LUAW_LIB_COROUTINE, LUA_COLIBNAME, luaopen_coroutine},
        {LUAW_LIB_TABLE, LUA_TABLIBNAME, luaopen_table},
        {LUAW_LIB_OS, LUA_OSLIBNAME, luaopen_os},
        {LUAW_LIB_STRING, LUA_STRLIBNAME, luaopen_string},
        {LUAW_LIB_MATH, LUA_MATHLIBNAME, luaopen_math},
        {LUAW_LIB_DEBUG, LUA_DBLIBNAME, luaopen_debug},
        {LUAW_LIB_UTF8, LUA_UTF8LIBNAME, luaopen_utf8},
        {LUAW_LIB_BIT32, LUA_BITLIBNAME, luaopen_bit32},
        {LUAW_LIB_BUFFER, LUA_BUFFERLIBNAME, luaopen_buffer},
        {LUAW_LIB_VECTOR, LUA_VECLIBNAME, luaopen_vector},
    };
    for (const auto& lib : table)
        if (libs & lib.bit)
        {
            lua_pushcfunction(L, lib.open, nullptr);
            lua_pushstring(L, lib.name);
            lua_call(L, 1, 0);
        }
}

uint64_t escaped_host_token(luaw_State* S, lua_State* L, int level)
{
    if (S->raise_token == 0 || !lua_checkstack(L, 1))
        return 0;
    lua_Debug raiser;
    if (!lua_getinfo(L, level, "f", &raiser))
        return 0;
    lua_CFunction raised_by = lua_tocfunction(L, -1);
    lua_pop(L, 1);
    if (raised_by == trampoline)
        return S->raise_token;
    if (raised_by == nullptr ||
        (raised_by != coroutine_wrap_body.load(std::memory_order_relaxed) && !is_require_function(raised_by)) ||
        lua_type(L, -1) != LUA_TSTRING)
        return 0;
    // Re-raised by coroutine.wrap, which prefixes a position, or by require (a resolver's
    // error): the host's error if its text ends with the host's message. (A script's own
    // error(e) is never the host's.)
    size_t len = 0;
    const char* msg = lua_tolstring(L, -1, &len);
    const std::string& host = S->raised_host_message;
    if (host.empty() || len < host.size() || std::memcmp(msg + len - host.size(), host.data(), host.size()) != 0)
        return 0;
    return S->raise_token;
}

void capture_traceback(luaw_State* S, lua_State* L, int first)
{
    try
    {
        std::string& tb = S->traceback_capture;
        tb.assign("stack traceback:");
        lua_Debug ar;
        for (int level = first; lua_getinfo(L, level, "sln", &ar); ++level)
        {
            tb += "\n\t";
            tb += ar.short_src ? ar.short_src : "?";
            if (ar.currentline > 0)
            {
                tb += ':';
                tb += std::to_string(ar.currentline);
            }
            if (ar.name != nullptr)
            {
                tb += " function ";
                tb += ar.name;
            }
            else if (ar.what != nullptr && std::strcmp(ar.what, "main") == 0)
            {
                tb += " main chunk";
            }
        }
    }
    catch (...)
    {
        S->traceback_capture.clear();
    }
}

luaw_State* from_lua(lua_State* L)
{
    return static_cast<luaw_State*>(lua_callbacks(L)->userdata);
}

} // namespace luaw

extern "C" uint32_t luaw_abi_version(void) noexcept
{
    return LUAW_ABI_VERSION;
}

extern "C" void luaw_build_info(luaw_BuildInfo* out) noexcept
{
    if (out == nullptr)
        return;
    out->abi_version = LUAW_ABI_VERSION;
    out->max_cstack = LUAI_MAXCSTACK;
    out->vector_size = LUA_VECTOR_SIZE;
#if defined(LUA_USE_LONGJMP) && LUA_USE_LONGJMP
    out->uses_longjmp = 1;
#else
    out->uses_longjmp = 0;
#endif
#ifdef LUAU_ENABLE_ASSERT
    out->asserts_enabled = 1;
#else
    out->asserts_enabled = 0;
#endif
    out->luau_version = "0.745";
}

extern "C" void luaw_free(void* p) noexcept
{
    std::free(p);
}

extern "C" luaw_State* luaw_new(const luaw_Options* opts, int32_t* status) noexcept
{
    auto fail = [status](int32_t code) -> luaw_State* {
        if (status)
            *status = code;
        return nullptr;
    };
    if (opts != nullptr && opts->abi_version != LUAW_ABI_VERSION)
        return fail(LUAW_ERRABI);

    luaw_State* S = new (std::nothrow) luaw_State();
    if (S == nullptr)
        return fail(LUAW_ERRMEM);
    S->memory_limit = opts ? opts->memory_limit : 0;
    S->dispatch = missing_dispatch;
    int32_t libs = opts ? opts->open_libs : 1;
    if (libs & LUAW_LIBS_SELECT)
        libs &= LUAW_LIBS_ALL;
    else
        libs = libs != 0 ? LUAW_LIBS_ALL : 0;

    // The budget applies to scripts, not to the base libraries.
    S->relax_limit = true;
    lua_State* L = lua_newstate(budget_alloc, S);
    if (L == nullptr)
    {
        delete S;
        return fail(LUAW_ERRMEM);
    }
    S->L = L;
    S->current = L;
    lua_callbacks(L)->userdata = S;
    S->raise_token = 0;

    int rc = protect(L, [&](lua_State* L) {
        if (libs == LUAW_LIBS_ALL)
            luaL_openlibs(L);
        else
            open_selected_libs(L, libs);
        if (libs & LUAW_LIB_BASE)
        {
            // The library never prints: a script's print goes to the host's sink (control.cpp).
            install_print(L);
        }
        find_coroutine_wrap_body(L);
        install_coroutine_running(L);
        lua_pushcfunction(L, traceback_handler, "traceback_handler");
        S->traceback_handler_ref = lua_ref(L, -1);
        lua_pop(L, 1);
        lua_newtable(L);
        S->userdata_types_ref = lua_ref(L, -1);
        lua_pop(L, 1);
        lua_setuserdatadtor(L, kHostUserdataTag, host_userdata_destructor);
    });
    S->relax_limit = false;
    if (rc != LUA_OK)
    {
        lua_close(L);
        delete S;
        return fail(LUAW_ERRMEM);
    }
    try
    {
        S->frames.reserve(8);
        S->frames.emplace_back(new HostFrame(S));
    }
    catch (...)
    {
        lua_close(L);
        delete S;
        return fail(LUAW_ERRMEM);
    }
    if (status)
        *status = LUAW_OK;
    return S;
}

extern "C" int32_t luaw_close(luaw_State* S) noexcept
{
    if (S == nullptr)
        return LUAW_OK;
    if (S->host_depth > 0)
        return LUAW_ERRBUSY;
    lua_close(S->L);
    release_stop(S);
    delete S;
    return LUAW_OK;
}

extern "C" size_t luaw_memory_used(luaw_State* S) noexcept
{
    if (S == nullptr)
        return 0;
    return lua_totalbytes(S->L, -1);
}

extern "C" int32_t luaw_gc_collect(luaw_State* S) noexcept
{
    if (S == nullptr)
        return LUAW_ERRARG;
    // A full collection runs destructors but allocates nothing; protect it anyway.
    int rc = protect(S->current, [](lua_State* L) { lua_gc(L, LUA_GCCOLLECT, 0); });
    if (rc != LUA_OK)
        lua_pop(S->current, 1);
    return rc == LUA_OK ? LUAW_OK : rc;
}

extern "C" void luaw_set_memory_limit(luaw_State* S, size_t bytes) noexcept
{
    if (S != nullptr)
        S->memory_limit = bytes;
}

extern "C" void luaw_set_dispatch(luaw_State* S, luaw_Dispatch dispatch, uintptr_t host_ctx) noexcept
{
    if (S == nullptr)
        return;
    S->dispatch = dispatch ? dispatch : missing_dispatch;
    S->host_ctx = host_ctx;
}

extern "C" int32_t luaw_host_depth(luaw_State* S) noexcept
{
    return S ? S->host_depth : 0;
}
