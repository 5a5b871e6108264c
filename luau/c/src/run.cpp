// Compile, load, protected calls, and turning Luau errors into statuses.
#include "internal.h"

#include <cstdlib>
#include <cstring>

using namespace luaw;

namespace luaw {

int32_t set_ok(luaw_Error* err)
{
    if (err != nullptr)
    {
        err->status = LUAW_OK;
        err->message = "";
        err->message_len = 0;
        err->traceback = "";
        err->traceback_len = 0;
        err->host_token = 0;
    }
    return LUAW_OK;
}

int32_t set_error(luaw_State* S, luaw_Error* err, int32_t status, const char* msg, size_t len, const char* traceback,
                  size_t traceback_len)
{
    if (err == nullptr)
        return status;
    err->status = status;
    err->host_token = 0;
    try
    {
        if (S != nullptr)
        {
            S->error_message.assign(msg, len);
            S->error_traceback.assign(traceback, traceback_len);
            err->message = S->error_message.data();
            err->message_len = S->error_message.size();
            err->traceback = S->error_traceback.data();
            err->traceback_len = S->error_traceback.size();
            return status;
        }
    }
    catch (...)
    {
    }
    // No state (or no memory): point at static text.
    err->message = S == nullptr ? msg : "not enough memory";
    err->message_len = S == nullptr ? len : std::strlen(err->message);
    err->traceback = "";
    err->traceback_len = 0;
    return status;
}

// Called when no host function is running any more: a panic or pending host errors belong
// to the call that just ended.
static void end_outermost(luaw_State* S, int status)
{
    S->panicking = false;
    S->raise_token = 0;
    S->stopping = 0;
    refresh_interrupt(S);
    // Luau has no emergency GC: after running out of memory, collect before the next use.
    if (status == LUAW_ERRMEM && protect(S->L, [](lua_State* L) { lua_gc(L, LUA_GCCOLLECT, 0); }) != LUA_OK)
        lua_pop(S->L, 1);
}

static int32_t report_panic(luaw_State* S, luaw_Error* err)
{
    set_error(S, err, LUAW_ERRPANIC, S->panic_message.data(), S->panic_message.size(), S->traceback_capture.data(),
              S->traceback_capture.size());
    if (err)
        err->host_token = S->panic_token;
    return LUAW_ERRPANIC;
}

static int32_t report_stop(luaw_State* S, luaw_Error* err)
{
    const std::string& msg = stop_message(S);
    set_error(S, err, LUAW_ERRINTERRUPT, msg.data(), msg.size(), S->traceback_capture.data(),
              S->traceback_capture.size());
    if (err)
        err->host_token = (uint64_t)S->stopping;
    return LUAW_ERRINTERRUPT;
}

int32_t conclude_error(luaw_State* S, int status, luaw_Error* err, uint64_t host_token)
{
    lua_State* L = S->current;
    const bool outermost = S->host_depth == 0;
    int32_t result = status;

    if (S->panicking)
    {
        lua_pop(L, 1);
        result = report_panic(S, err);
    }
    else if (S->stopping != 0)
    {
        lua_pop(L, 1);
        result = report_stop(S, err);
    }
    else
    {
        // The message: strings (and numbers) as they are; other values described.
        size_t len = 0;
        const char* msg = nullptr;
        char described[96];
        int t = lua_type(L, -1);
        if (t == LUA_TSTRING || t == LUA_TNUMBER)
            msg = lua_tolstring(L, -1, &len); // a number is converted in place: it is popped below
        else
        {
            snprintf(described, sizeof(described), "(error object is a %s value)", lua_typename(L, t));
            msg = described;
            len = std::strlen(described);
        }

        const uint64_t token = status == LUA_ERRRUN ? host_token : 0;
        if (token != 0)
            result = LUAW_ERRHOST;
        const std::string& tb = S->traceback_capture;
        set_error(S, err, result, msg, len, tb.data(), tb.size());
        if (err)
            err->host_token = token;
        lua_pop(L, 1);
    }
    if (outermost)
        end_outermost(S, result);
    return result;
}

int32_t conclude_ok(luaw_State* S, int keep_from, luaw_Error* err)
{
    if (!S->panicking && S->stopping == 0)
        return set_ok(err);
    lua_settop(S->current, keep_from);
    int32_t result = S->panicking ? report_panic(S, err) : report_stop(S, err);
    if (S->host_depth == 0)
        end_outermost(S, result);
    return result;
}

} // namespace luaw

// Bytecode integrity. Luau does not validate bytecode (a flipped bit can crash the VM), so
// luaw_compile appends a trailer and luaw_load checks it before Luau sees a byte:
//   "LUAW" | u32 Luau version | u32 trailer format | u32 bytecode length | u64 checksum
// The checksum (FNV-1a 64, whose per-byte step is a bijection: any one changed byte changes
// it) covers the bytecode and the first 16 trailer bytes. It detects corruption and version
// skew, not forgery: bytecode from an untrusted source must not be loaded at all.
constexpr size_t kTrailerSize = 24;
constexpr uint32_t kLuauVersion = 745;
constexpr uint32_t kTrailerFormat = 1;

static uint64_t fnv1a(const char* p, size_t n, uint64_t h = 1469598103934665603ull)
{
    for (size_t i = 0; i < n; ++i)
    {
        h ^= (unsigned char)p[i];
        h *= 1099511628211ull;
    }
    return h;
}

static void append_trailer(char* bytecode, size_t size)
{
    char* t = bytecode + size;
    const uint32_t fields[3] = {kLuauVersion, kTrailerFormat, (uint32_t)size};
    std::memcpy(t, "LUAW", 4);
    std::memcpy(t + 4, fields, sizeof(fields));
    const uint64_t sum = fnv1a(t, 16, fnv1a(bytecode, size));
    std::memcpy(t + 16, &sum, sizeof(sum));
}

// Checks the trailer; on success *size is the length of the Luau bytecode before it.
// Otherwise returns the reason (static text).
static const char* check_trailer(const char* bytecode, size_t len, size_t* size, char* buf, size_t buf_len)
{
    if (len < kTrailerSize + 1 || std::memcmp(bytecode + len - kTrailerSize, "LUAW", 4) != 0)
        return "bytecode rejected: not produced by luaw_compile (no integrity trailer)";
    const char* t = bytecode + len - kTrailerSize;
    uint32_t fields[3];
    std::memcpy(fields, t + 4, sizeof(fields));
    if (fields[1] != kTrailerFormat || fields[2] != len - kTrailerSize)
        return "bytecode rejected: malformed integrity trailer";
    if (fields[0] != kLuauVersion)
    {
        snprintf(buf, buf_len, "bytecode rejected: compiled by Luau 0.%u, this library runs Luau 0.%u",
                 (unsigned)fields[0], (unsigned)kLuauVersion);
        return buf;
    }
    uint64_t want = 0;
    std::memcpy(&want, t + 16, sizeof(want));
    if (fnv1a(t, 16, fnv1a(bytecode, fields[2])) != want)
        return "bytecode rejected: checksum mismatch (the bytes were corrupted)";
    *size = fields[2];
    return nullptr;
}

static void fill_compile_options(lua_CompileOptions* out, const luaw_CompileOptions* in)
{
    std::memset(out, 0, sizeof(*out));
    out->optimizationLevel = in ? in->optimization_level : 1;
    out->debugLevel = in ? in->debug_level : 1;
    out->typeInfoLevel = 1; // argument types: native code specialises on them (fib_27 0.94x -> ~0.7x)
    out->coverageLevel = 0;
}

extern "C" int32_t luaw_compile(const char* src, size_t src_len, const luaw_CompileOptions* opts, char** out,
                                size_t* out_len) noexcept
{
    if (out == nullptr || out_len == nullptr || (src == nullptr && src_len != 0))
        return LUAW_ERRARG;
    *out = nullptr;
    *out_len = 0;
    if (opts != nullptr && (opts->optimization_level < 0 || opts->optimization_level > 2 || opts->debug_level < 0 ||
                               opts->debug_level > 2))
        return LUAW_ERRARG;
    lua_CompileOptions options;
    fill_compile_options(&options, opts);
    size_t size = 0;
    char* bytecode = nullptr;
    try
    {
        // luau_compile may throw std::bad_alloc through its extern "C" boundary.
        bytecode = luau_compile(src ? src : "", src_len, &options, &size);
    }
    catch (...)
    {
        return LUAW_ERRMEM;
    }
    if (bytecode == nullptr)
        return LUAW_ERRMEM;
    if (size > 0 && bytecode[0] == 0)
    {
        // Compile errors are encoded as bytecode version 0 followed by ":<line>: <message>".
        char* message = static_cast<char*>(std::malloc(size));
        if (message == nullptr)
        {
            std::free(bytecode);
            return LUAW_ERRMEM;
        }
        std::memcpy(message, bytecode + 1, size - 1);
        message[size - 1] = 0;
        std::free(bytecode);
        *out = message;
        *out_len = size - 1;
        return LUAW_ERRSYNTAX;
    }
    // The integrity trailer: bytecode leaves the library only with it (see luaw_load).
    char* sealed = static_cast<char*>(std::realloc(bytecode, size + kTrailerSize));
    if (sealed == nullptr)
    {
        std::free(bytecode);
        return LUAW_ERRMEM;
    }
    append_trailer(sealed, size);
    *out = sealed;
    *out_len = size + kTrailerSize;
    return LUAW_OK;
}

// luau_load needs a NUL-terminated chunk name; names default to "chunk".
int32_t luaw::load_chunk_on(luaw_State* S, lua_State* L, const char* chunkname, size_t chunkname_len,
                            const char* bytecode, size_t bytecode_len, luaw_Error* err)
{
    std::string name;
    try
    {
        name.assign(chunkname_len ? chunkname : "chunk", chunkname_len ? chunkname_len : 5);
    }
    catch (...)
    {
        return set_error(S, err, LUAW_ERRMEM, "not enough memory", 17);
    }
    if (!lua_checkstack(L, 3))
        return set_error(S, err, LUAW_ERRMEM, "stack overflow", 14);
    // Sandboxed: the chunk gets its own writable globals, never the shared ones. It must be
    // loaded on a thread whose globals already are that table: Luau resolves a safe
    // environment's imports (_G, library names) against the loading thread's globals at load
    // time, so setting the environment afterwards would leave _G pointing at the shared table.
    lua_State* target = L;
    const bool own_globals = S->sandboxed && L->gt == S->L->gt;
    if (own_globals)
    {
        int env_rc = protect(L, [&](lua_State* L) {
            target = lua_newthread(L);
            give_thread_own_globals(target);
        });
        if (env_rc != LUA_OK)
        {
            lua_pop(L, 1);
            return set_error(S, err, LUAW_ERRMEM, "not enough memory", 17);
        }
    }
    // luau_load is protected; it fails with a message for compile errors and bad bytecode.
    int rc = luau_load(target, name.c_str(), bytecode, bytecode_len, 0);
    if (rc == 0)
        codegen_compile(target);
    if (own_globals)
    {
        lua_xmove(target, L, 1); // the chunk or the error message
        lua_remove(L, -2);       // the loading thread
    }
    if (rc != 0)
    {
        size_t len = 0;
        const char* msg = lua_type(L, -1) == LUA_TSTRING ? lua_tolstring(L, -1, &len) : nullptr;
        // Compile errors arrive as version-0 bytecode; otherwise only memory or bad bytecode.
        int status = LUAW_ERRSYNTAX;
        if (bytecode[0] != 0)
            status = msg && std::strstr(msg, "not enough memory") ? LUAW_ERRMEM : LUAW_ERRARG;
        set_error(S, err, status, msg ? msg : "load failed", msg ? len : 11);
        lua_pop(L, 1);
        return status;
    }
    return set_ok(err);
}

static int32_t load_chunk(luaw_State* S, const char* chunkname, size_t chunkname_len, const char* bytecode,
                          size_t bytecode_len, luaw_Error* err)
{
    return load_chunk_on(S, S->current, chunkname, chunkname_len, bytecode, bytecode_len, err);
}

extern "C" int32_t luaw_load(luaw_State* S, const char* chunkname, size_t chunkname_len, const char* bytecode,
                             size_t bytecode_len, luaw_Error* err) noexcept
{
    if (S == nullptr || bytecode == nullptr || bytecode_len == 0)
        return set_error(S, err, LUAW_ERRARG, "luaw_load: no bytecode", 22);
    // A compiler error encoding (version byte 0) only carries a message: Luau formats it.
    if (bytecode[0] == 0)
        return load_chunk(S, chunkname, chunkname_len, bytecode, bytecode_len, err);
    size_t size = 0;
    char why[128];
    if (const char* reason = check_trailer(bytecode, bytecode_len, &size, why, sizeof(why)))
        return set_error(S, err, LUAW_ERRARG, reason, std::strlen(reason));
    return load_chunk(S, chunkname, chunkname_len, bytecode, size, err);
}

// The core of every protected call from the host: the function at func with nargs arguments
// above it, under the traceback handler at handler (0: none, which must then be func - 1
// otherwise). Results (or nothing, on error) replace handler, function and arguments.
static int32_t pcall_at(luaw_State* S, lua_State* L, int func, int nargs, int nresults, int handler,
                        luaw_Error* err)
{
    const bool outer = !S->running && S->host_depth == 0;
    if (outer)
        begin_run(S);
    S->traceback_capture.clear();
    S->escaped_token = 0;
    int rc = lua_pcall(L, nargs, nresults, handler);
    const uint64_t escaped_token = S->escaped_token; // set by the handler, if it ran
    if (handler != 0)
        lua_remove(L, handler);
    const int base = func - 1 - (handler != 0); // the stack height below the call
    if (rc == LUA_OK && lua_status(L) == LUA_YIELD)
    {
        // Defensive: a yield must never look like a return to the host (see luau-capi.md 3.3).
        lua_settop(L, base);
        lua_pushliteral(L, "attempt to yield across a host function call");
        rc = LUA_ERRRUN;
    }
    const int32_t result = rc != LUA_OK ? conclude_error(S, rc, err, escaped_token) : conclude_ok(S, base, err);
    if (outer)
        end_run(S);
    return result;
}

// Near the C-stack limit the message handler itself could not be called: the error would
// turn into "error in error handling". There, calls go without a traceback.
static bool handler_fits(lua_State* L)
{
    return L->nCcalls + 2 < LUAI_MAXCCALLS;
}

extern "C" int32_t luaw_pcall(luaw_State* S, int32_t nargs, int32_t nresults, luaw_Error* err) noexcept
{
    if (S == nullptr)
        return set_error(S, err, LUAW_ERRARG, "luaw_pcall: no state", 20);
    lua_State* L = S->current;
    int top = lua_gettop(L);
    if (nargs < 0 || nargs + 1 > top || nresults < LUAW_MULTRET)
        return set_error(S, err, LUAW_ERRARG, "luaw_pcall: bad argument count", 30);
    if (!lua_checkstack(L, 2 + (nresults > 0 ? nresults : 0)))
        return set_error(S, err, LUAW_ERRMEM, "stack overflow", 14);
    const int func = top - nargs;
    if (!handler_fits(L))
        return pcall_at(S, L, func, nargs, nresults, 0, err);
    lua_getref(L, S->traceback_handler_ref);
    lua_insert(L, func);
    return pcall_at(S, L, func + 1, nargs, nresults, func, err);
}

// Resumes a main chunk's thread (at base + 1 on the current stack, its function and nargs
// arguments on its own stack) to completion; the results replace the thread.
static int32_t finish_main_chunk(luaw_State* S, lua_State* co, int nargs, int base, int32_t* nresults,
                                 luaw_Error* err)
{
    lua_State* L = S->current;
    int32_t n = 0;
    int32_t rc = resume_thread(S, co, nargs, false, &n, err);
    if (rc == LUAW_YIELD)
    {
        lua_settop(L, base);
        static const char msg[] = "attempt to yield from a chunk run to completion (run it as a thread to resume it)";
        return set_error(S, err, LUAW_ERRRUN, msg, sizeof(msg) - 1);
    }
    if (rc != LUAW_OK)
    {
        lua_settop(L, base);
        return rc;
    }
    lua_remove(L, base + 1); // the thread
    if (nresults)
        *nresults = n;
    return rc;
}

extern "C" int32_t luaw_dostring(luaw_State* S, const char* src, size_t src_len, const char* chunkname,
                                 size_t chunkname_len, int32_t* nresults, luaw_Error* err) noexcept
{
    if (nresults)
        *nresults = 0;
    if (S == nullptr)
        return set_error(S, err, LUAW_ERRARG, "luaw_dostring: no state", 23);
    char* bytecode = nullptr;
    size_t bytecode_len = 0;
    int32_t rc = luaw_compile(src, src_len, nullptr, &bytecode, &bytecode_len);
    if (rc == LUAW_ERRSYNTAX)
    {
        // Reported through luau_load so the message names the chunk: [string "name"]:3: ...
        char zero = 0;
        std::string encoded;
        try
        {
            encoded.assign(&zero, 1);
            encoded.append(bytecode, bytecode_len);
        }
        catch (...)
        {
            luaw_free(bytecode);
            return set_error(S, err, LUAW_ERRMEM, "not enough memory", 17);
        }
        luaw_free(bytecode);
        return load_chunk(S, chunkname, chunkname_len, encoded.data(), encoded.size(), err);
    }
    if (rc != LUAW_OK)
        return set_error(S, err, rc, "compile failed", 14);

    // The chunk runs as a thread (lua_resume, no enclosing C call): it is yieldable, and its
    // pcall depth is Luau's own rather than the C-call limit of lua_pcall.
    lua_State* L = S->current;
    const int base = lua_gettop(L);
    lua_State* co = nullptr;
    int new_rc = protect(L, [&](lua_State* L) {
        co = lua_newthread(L);
        if (S->sandboxed)
            give_thread_own_globals(co);
        mark_main_chunk(co);
    });
    if (new_rc != LUA_OK)
    {
        luaw_free(bytecode);
        lua_settop(L, base);
        return set_error(S, err, LUAW_ERRMEM, "not enough memory", 17);
    }
    rc = load_chunk_on(S, co, chunkname, chunkname_len, bytecode, bytecode_len - kTrailerSize, err);
    luaw_free(bytecode);
    if (rc != LUAW_OK)
    {
        lua_settop(L, base);
        return rc;
    }
    return finish_main_chunk(S, co, 0, base, nresults, err);
}

extern "C" int32_t luaw_run(luaw_State* S, int32_t nargs, int32_t* nresults, luaw_Error* err) noexcept
{
    if (nresults)
        *nresults = 0;
    if (S == nullptr)
        return set_error(S, err, LUAW_ERRARG, "luaw_run: no state", 18);
    lua_State* L = S->current;
    const int top = lua_gettop(L);
    if (nargs < 0 || nargs + 1 > top)
        return set_error(S, err, LUAW_ERRARG, "luaw_run: bad argument count", 28);
    const int base = top - nargs - 1; // the stack height below the function
    lua_State* co = nullptr;
    int new_rc = protect(L, [&](lua_State* L) {
        co = lua_newthread(L);
        mark_main_chunk(co);
        // The thread's globals are the chunk's environment (its own table when sandboxed), as
        // when luaw_dostring loads a chunk on its thread: loadstring compiles into them.
        lua_getfenv(L, base + 1);
        lua_xmove(L, co, 1);
        lua_replace(co, LUA_GLOBALSINDEX);
    });
    if (new_rc != LUA_OK)
    {
        lua_settop(L, base);
        return set_error(S, err, LUAW_ERRMEM, "not enough memory", 17);
    }
    lua_insert(L, base + 1); // the thread below the function and its arguments
    lua_xmove(L, co, nargs + 1);
    return finish_main_chunk(S, co, nargs, base, nresults, err);
}

extern "C" int32_t luaw_call_global(luaw_State* S, const char* name, size_t name_len, const luaw_Value* args,
                                    int32_t nargs, int32_t nresults, int32_t* nresults_out, luaw_Error* err) noexcept
{
    if (nresults_out)
        *nresults_out = 0;
    if (S == nullptr || (name == nullptr && name_len != 0) || nargs < 0 || (nargs > 0 && args == nullptr))
        return set_error(S, err, LUAW_ERRARG, "luaw_call_global: bad argument", 30);
    lua_State* L = S->current;
    int base = lua_gettop(L);
    int32_t type = LUAW_TNIL;
    int32_t rc = luaw_getglobal(S, name, name_len, &type, err);
    if (rc != LUAW_OK)
        return rc;
    rc = luaw_push_values(S, args, nargs, err);
    if (rc != LUAW_OK)
    {
        lua_settop(L, base);
        return rc;
    }
    rc = luaw_pcall(S, nargs, nresults, err);
    if (rc == LUAW_OK && nresults_out)
        *nresults_out = lua_gettop(L) - base;
    return rc;
}

static bool by_value(int32_t type)
{
    return type == LUAW_TNIL || type == LUAW_TBOOLEAN || type == LUAW_TNUMBER || type == LUAW_TINTEGER ||
           type == LUAW_TVECTOR;
}

extern "C" int32_t luaw_call_ref(luaw_State* S, int32_t ref, const luaw_Value* args, int32_t nargs, int32_t nresults,
                                 int32_t* nresults_out, luaw_Error* err) noexcept
{
    if (nresults_out)
        *nresults_out = 0;
    if (S == nullptr || ref <= 0 || nargs < 0 || (nargs > 0 && args == nullptr) || nresults < LUAW_MULTRET)
        return set_error(S, err, LUAW_ERRARG, "luaw_call_ref: bad argument", 27);
    lua_State* L = S->current;
    const int base = lua_gettop(L);
    // The host's hot path (a stored callback called with scalars): handler, function and
    // arguments pushed in place, one stack check, no shuffling.
    if (!has_stack_room(L, nargs + 2 + (nresults > 0 ? nresults : 0)))
        return set_error(S, err, LUAW_ERRMEM, "stack overflow", 14);
    const bool with_handler = handler_fits(L);
    if (with_handler)
        lua_getref(L, S->traceback_handler_ref);
    lua_getref(L, ref);
    bool scalars = true;
    for (int32_t i = 0; i < nargs && scalars; ++i)
        scalars = by_value(args[i].type);
    if (scalars)
    {
        for (int32_t i = 0; i < nargs; ++i)
            push_scalar(S, L, &args[i]);
    }
    else
    {
        int32_t rc = luaw_push_values(S, args, nargs, err);
        if (rc != LUAW_OK)
        {
            lua_settop(L, base);
            return rc;
        }
    }
    const int32_t rc = pcall_at(S, L, base + 1 + with_handler, nargs, nresults, with_handler ? base + 1 : 0, err);
    if (rc == LUAW_OK && nresults_out)
        *nresults_out = lua_gettop(L) - base;
    return rc;
}

extern "C" int32_t luaw_call_ref_read(luaw_State* S, int32_t ref, const luaw_Value* args, int32_t nargs,
                                      int32_t nresults, luaw_Value* results, int32_t results_cap,
                                      luaw_CallResult* out, luaw_Error* err) noexcept
{
    if (out == nullptr || results_cap < 0 || (results_cap > 0 && results == nullptr))
        return set_error(S, err, LUAW_ERRARG, "luaw_call_ref_read: bad argument", 32);
    *out = luaw_CallResult{0, 0, 0, 0};
    if (S == nullptr)
        return set_error(S, err, LUAW_ERRARG, "luaw_call_ref_read: no state", 28);
    lua_State* L = S->current;
    const int base = lua_gettop(L);
    out->base = base;
    int32_t n = 0;
    const int32_t rc = luaw_call_ref(S, ref, args, nargs, nresults, &n, err);
    if (rc != LUAW_OK)
        return rc;
    out->nresults = n;
    const int32_t nread = n < results_cap ? n : results_cap;
    bool all_by_value = nread == n;
    for (int32_t i = 0; i < nread; ++i)
    {
        read_value(L, base + 1 + i, &results[i]);
        all_by_value = all_by_value && by_value(results[i].type);
    }
    out->nread = nread;
    if (all_by_value)
    {
        lua_settop(L, base);
        out->popped = 1;
    }
    return rc;
}
