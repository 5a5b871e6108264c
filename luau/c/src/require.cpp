// require-by-string: Luau's own Luau.Require library with a navigation configuration whose
// questions go to the host's resolver (a host function called through the dispatcher).
//
// Navigation itself (reset, to_parent, to_child) is path arithmetic done here; the host is
// asked only "is there a module at this path (and what is its source)?" and "does this
// directory have a .luaurc (and what does it say)?". Every callback below returns a status to
// Luau's navigator and never raises: a resolver that failed, or a module that is not there,
// is remembered as a pending error, navigation is let through to the load step, and load
// (which Luau calls with none of its own C++ objects alive, so raising there is safe in both
// error modes) raises it.
#include "internal.h"

#include "Luau/Require.h"

#include <atomic>
#include <cstdlib>
#include <cstring>
#include <new>
#include <unordered_map>

using namespace luaw;

namespace {

// Luau's lua_require (the C function of the closure luarequire_pushrequire makes): what a
// re-raised resolver error is raised by (escaped_host_token) and what marks a require frame.
std::atomic<lua_CFunction> require_body{nullptr};

const char kCtxKey[] = "_LUAW_REQUIRE"; // registry: the state's RequireCtx userdata

enum class Pending
{
    None,
    HostError, // the resolver failed: raise its error value (pending_ref)
    Missing,   // no module at the path: raise pending_message
};

// Per-state navigation context (a Luau userdata with a destructor; freed with the state).
struct RequireCtx
{
    luaw_State* S = nullptr;
    int resolver_ref = LUA_NOREF; // the resolver host function, or none
    std::vector<std::string> cur; // the current position: path components from the root
    bool at_script = false;       // at a top-level script (a file at the root)
    std::string module_source;    // the module is_module_present found
    std::string module_file;
    // Path -> file of the modules resolved so far: a module that is in Luau's cache is
    // found again without asking the host (a cached require makes no crossing).
    std::unordered_map<std::string, std::string> resolved;
    std::string config;           // the .luaurc get_config_status found
    Pending pending = Pending::None;
    int pending_ref = LUA_NOREF;
    uint64_t pending_token = 0;
    std::string pending_message;
    std::string scratch;
};

void destroy_ctx(lua_State*, void* p)
{
    static_cast<RequireCtx*>(p)->~RequireCtx();
}

std::string joined(const RequireCtx& c)
{
    std::string out;
    for (size_t i = 0; i < c.cur.size(); ++i)
    {
        if (i)
            out.push_back('/');
        out.append(c.cur[i]);
    }
    return out;
}

void clear_pending(lua_State* L, RequireCtx& c)
{
    if (c.pending_ref != LUA_NOREF)
        lua_unref(L, c.pending_ref);
    c.pending_ref = LUA_NOREF;
    c.pending = Pending::None;
}

// Asks the resolver (kind, path). Returns 1 with its two results on the stack, 0 when it
// answered "nothing here" (nothing pushed), -1 when it failed (the error is now pending).
int ask_resolver(lua_State* L, RequireCtx& c, int kind, const std::string& path)
{
    if (c.resolver_ref == LUA_NOREF)
        return 0;
    if (!lua_checkstack(L, 4))
        return -1;
    luaw_State* S = c.S;
    const int ref = c.resolver_ref;
    int rc = protect(L, [&](lua_State* L) {
        lua_getref(L, ref);
        lua_pushnumber(L, kind);
        lua_pushlstring(L, path.data(), path.size());
        lua_call(L, 2, 2);
    });
    if (rc != LUA_OK)
    {
        clear_pending(L, c);
        c.pending_token = S->raise_token; // set by the trampoline for the host's own error
        c.pending_ref = lua_ref(L, -1);
        lua_pop(L, 1);
        c.pending = Pending::HostError;
        return -1;
    }
    if (lua_type(L, -2) != LUA_TSTRING)
    {
        lua_pop(L, 2);
        return 0;
    }
    return 1;
}

// Copies the string at idx into out. False when out of memory.
bool copy_string(lua_State* L, int idx, std::string& out) noexcept
{
    size_t len = 0;
    const char* s = lua_tolstring(L, idx, &len);
    try
    {
        out.assign(s ? s : "", s ? len : 0);
        return true;
    }
    catch (...)
    {
        return false;
    }
}

luarequire_WriteResult write_string(const std::string& s, char* buffer, size_t size, size_t* size_out)
{
    *size_out = s.size();
    if (s.size() > size)
        return WRITE_BUFFER_TOO_SMALL;
    if (!s.empty())
        std::memcpy(buffer, s.data(), s.size());
    return WRITE_SUCCESS;
}

RequireCtx& ctx_of(void* ctx)
{
    return *static_cast<RequireCtx*>(ctx);
}

bool is_require_allowed(lua_State* L, void* ctx, const char*)
{
    clear_pending(L, ctx_of(ctx));
    return true;
}

// The requirer: a chunk named "@dir/file.luau" is that module ("dir/file"; "dir/init.luau"
// is the module "dir"); any other chunk is a script at the root.
luarequire_NavigateResult reset(lua_State*, void* ctx, const char* requirer) noexcept
{
    RequireCtx& c = ctx_of(ctx);
    try
    {
        c.cur.clear();
        c.at_script = false;
        if (requirer == nullptr || requirer[0] != '@')
        {
            c.at_script = true;
            return NAVIGATE_SUCCESS;
        }
        std::string p(requirer + 1);
        for (const char* ext : {".luau", ".lua"})
        {
            const size_t n = std::strlen(ext);
            if (p.size() >= n && p.compare(p.size() - n, n, ext) == 0)
            {
                p.resize(p.size() - n);
                break;
            }
        }
        size_t start = 0;
        while (start <= p.size())
        {
            size_t slash = p.find('/', start);
            if (slash == std::string::npos)
                slash = p.size();
            if (slash > start)
                c.cur.emplace_back(p, start, slash - start);
            start = slash + 1;
        }
        if (!c.cur.empty() && c.cur.back() == "init")
            c.cur.pop_back();
        return NAVIGATE_SUCCESS;
    }
    catch (...)
    {
        return NAVIGATE_NOT_FOUND;
    }
}

luarequire_NavigateResult jump_to_alias(lua_State*, void* ctx, const char* path) noexcept
{
    // An alias whose value is neither relative nor an alias: a path from the resolver's root.
    RequireCtx& c = ctx_of(ctx);
    try
    {
        c.cur.clear();
        c.at_script = false;
        std::string p(path ? path : "");
        size_t start = 0;
        while (start <= p.size())
        {
            size_t slash = p.find('/', start);
            if (slash == std::string::npos)
                slash = p.size();
            if (slash > start && p.compare(start, slash - start, ".") != 0)
                c.cur.emplace_back(p, start, slash - start);
            start = slash + 1;
        }
        return NAVIGATE_SUCCESS;
    }
    catch (...)
    {
        return NAVIGATE_NOT_FOUND;
    }
}

luarequire_NavigateResult to_alias_fallback(lua_State*, void* ctx, const char*)
{
    // A pending resolver error explains a failed alias search better than "not a valid alias".
    return ctx_of(ctx).pending == Pending::HostError ? NAVIGATE_SUCCESS : NAVIGATE_NOT_FOUND;
}

luarequire_NavigateResult to_parent(lua_State*, void* ctx)
{
    RequireCtx& c = ctx_of(ctx);
    if (c.at_script)
    {
        c.at_script = false; // the script's directory: the root
        return NAVIGATE_SUCCESS;
    }
    if (c.cur.empty())
        return NAVIGATE_NOT_FOUND;
    c.cur.pop_back();
    return NAVIGATE_SUCCESS;
}

luarequire_NavigateResult to_child(lua_State*, void* ctx, const char* name) noexcept
{
    RequireCtx& c = ctx_of(ctx);
    try
    {
        c.at_script = false;
        c.cur.emplace_back(name ? name : "");
        return NAVIGATE_SUCCESS;
    }
    catch (...)
    {
        return NAVIGATE_NOT_FOUND;
    }
}

// Whether Luau's require cache (registry._MODULES) holds file. Never raises.
bool in_module_cache(lua_State* L, const std::string& file)
{
    bool cached = false;
    if (!lua_checkstack(L, 3))
        return false;
    const int rc = protect(L, [&](lua_State* L) {
        lua_getfield(L, LUA_REGISTRYINDEX, "_MODULES");
        if (lua_istable(L, -1))
        {
            lua_pushlstring(L, file.data(), file.size());
            lua_rawget(L, -2);
            cached = !lua_isnil(L, -1);
            lua_pop(L, 1);
        }
        lua_pop(L, 1);
    });
    if (rc != LUA_OK)
        lua_pop(L, 1);
    return rc == LUA_OK && cached;
}

// Always "present": a missing module or a failed resolver is raised by load, with a message
// that names the path (Luau's own "no module present at resolved path" names nothing).
bool is_module_present(lua_State* L, void* ctx) noexcept
{
    RequireCtx& c = ctx_of(ctx);
    if (c.pending != Pending::None)
        return true;
    try
    {
        std::string path = joined(c);
        auto known = c.resolved.find(path);
        if (known != c.resolved.end() && in_module_cache(L, known->second))
        {
            c.module_file = known->second; // cached: load is not called, no source needed
            return true;
        }
        const int found = ask_resolver(L, c, LUAW_RESOLVE_MODULE, path);
        if (found < 0)
            return true;
        if (found == 0)
        {
            c.pending = Pending::Missing;
            c.pending_message = "no module at \"" + path + "\"";
            return true;
        }
        const bool ok = copy_string(L, -2, c.module_source) &&
                        (lua_type(L, -1) == LUA_TSTRING ? copy_string(L, -1, c.module_file)
                                                        : (c.module_file = path + ".luau", true));
        lua_pop(L, 2);
        if (!ok)
        {
            c.pending = Pending::Missing;
            c.pending_message = "not enough memory";
        }
        else
            c.resolved[path] = c.module_file;
        return true;
    }
    catch (...)
    {
        c.pending = Pending::Missing;
        c.pending_message.clear();
        return true;
    }
}

// While an error is pending, names that are never in the cache (the module is not loaded).
luarequire_WriteResult get_chunkname(lua_State*, void* ctx, char* buffer, size_t size, size_t* size_out) noexcept
{
    RequireCtx& c = ctx_of(ctx);
    try
    {
        c.scratch = c.pending != Pending::None ? std::string("=?") : "@" + c.module_file;
    }
    catch (...)
    {
        return WRITE_FAILURE;
    }
    return write_string(c.scratch, buffer, size, size_out);
}

luarequire_WriteResult get_cache_key(lua_State*, void* ctx, char* buffer, size_t size, size_t* size_out)
{
    RequireCtx& c = ctx_of(ctx);
    static const std::string never_cached("\x01pending");
    return write_string(c.pending != Pending::None ? never_cached : c.module_file, buffer, size, size_out);
}

luarequire_ConfigStatus get_config_status(lua_State* L, void* ctx) noexcept
{
    RequireCtx& c = ctx_of(ctx);
    if (c.pending != Pending::None || c.at_script)
        return CONFIG_ABSENT;
    try
    {
        const int found = ask_resolver(L, c, LUAW_RESOLVE_CONFIG, joined(c));
        if (found <= 0)
            return CONFIG_ABSENT;
        const bool ok = copy_string(L, -2, c.config);
        lua_pop(L, 2);
        return ok ? CONFIG_PRESENT_JSON : CONFIG_ABSENT;
    }
    catch (...)
    {
        return CONFIG_ABSENT;
    }
}

luarequire_WriteResult get_config(lua_State*, void* ctx, char* buffer, size_t size, size_t* size_out)
{
    return write_string(ctx_of(ctx).config, buffer, size, size_out);
}

// The cache keys of the modules loading on L's call stack right now, outermost first: the
// require frames that reached their load step hold [path, cache key, chunkname, loadname].
int push_loading_chain(lua_State* L, lua_CFunction body)
{
    int n = 0;
    for (CallInfo* ci = L->ci - 1; ci > L->base_ci; --ci)
    {
        if (!ttisfunction(ci->func) || !clvalue(ci->func)->isC || clvalue(ci->func)->c.f != body)
            continue;
        if (ci->base + 1 >= (ci + 1)->func || !ttisstring(ci->base + 1))
            continue;
        const TString* key = tsvalue(ci->base + 1);
        lua_rawcheckstack(L, 1);
        lua_pushlstring(L, getstr(key), key->len);
        lua_insert(L, -(n + 1)); // outermost first
        ++n;
    }
    return n;
}

// Raises "error requiring module "<path>": <what>" (what on top of the stack is replaced).
[[noreturn]] void raise_require_error(lua_State* L, const char* path)
{
    lua_rawcheckstack(L, 3);
    lua_pushstring(L, "error requiring module \"");
    lua_pushstring(L, path);
    lua_pushstring(L, "\": ");
    lua_pushvalue(L, -4);
    lua_concat(L, 4);
    lua_error(L);
}

// Runs the module (stack: path, cache key, chunkname, loadname) and leaves its results.
// Raising is safe here: Luau calls load with none of its own C++ objects alive, and this
// function holds none across a call that can raise.
int load(lua_State* L, void* ctx, const char* path, const char* chunkname, const char*)
{
    RequireCtx& c = ctx_of(ctx);
    luaw_State* S = c.S;
    if (c.pending == Pending::HostError)
    {
        lua_getref(L, c.pending_ref);
        const uint64_t token = c.pending_token;
        clear_pending(L, c);
        S->raise_token = token; // still the host's error (escaped_host_token)
        lua_error(L);
    }
    if (c.pending == Pending::Missing)
    {
        c.pending = Pending::None;
        lua_pushlstring(L, c.pending_message.data(), c.pending_message.size());
        raise_require_error(L, path);
    }

    // A module that is loading already: a cycle. Name it from the first require of it on.
    const int top = lua_gettop(L);
    const int n = push_loading_chain(L, require_body.load(std::memory_order_relaxed));
    for (int i = 0; i < n; ++i)
    {
        if (!lua_rawequal(L, top + 1 + i, 2))
            continue;
        lua_rawcheckstack(L, 2 * (n - i) + 2);
        lua_pushstring(L, "cyclic require: ");
        for (int j = i; j < n; ++j)
        {
            lua_pushvalue(L, top + 1 + j);
            lua_pushstring(L, " -> ");
        }
        lua_pushvalue(L, 2);
        lua_concat(L, 2 * (n - i) + 2);
        raise_require_error(L, path);
    }
    lua_settop(L, top);

    // Sandboxed: the module gets its own globals over the shared read-only ones (never the
    // requiring chunk's), loaded on a thread that has them (see load_chunk_on). Made before
    // compiling, so that nothing needs freeing if it raises (out of memory).
    lua_State* target = L;
    if (S->sandboxed)
    {
        lua_rawcheckstack(L, 2);
        target = lua_newthread(L);
        target->gt = S->L->gt;
        give_thread_own_globals(target);
    }
    // Compile from text (never bytecode); a compile error comes back from luau_load as a
    // message naming the module's file and line.
    lua_CompileOptions options;
    std::memset(&options, 0, sizeof(options));
    options.optimizationLevel = 1;
    options.debugLevel = 1;
    options.typeInfoLevel = 1; // argument types: native code specialises on them
    size_t size = 0;
    char* bytecode = nullptr;
    try
    {
        bytecode = luau_compile(c.module_source.data(), c.module_source.size(), &options, &size);
    }
    catch (...)
    {
        bytecode = nullptr;
    }
    if (bytecode == nullptr)
    {
        lua_pushstring(L, "not enough memory");
        raise_require_error(L, path);
    }
    const int rc = luau_load(target, chunkname, bytecode, size, 0); // raises nothing
    std::free(bytecode);
    if (rc == 0)
        codegen_compile(target);
    if (target != L)
    {
        lua_xmove(target, L, 1);
        lua_remove(L, -2);
    }
    if (rc != 0)
        lua_error(L); // the compile error, naming the module's file and line
    lua_call(L, 0, LUA_MULTRET);
    return lua_gettop(L) - top;
}

void init_config(luarequire_Configuration* config)
{
    config->is_require_allowed = is_require_allowed;
    config->reset = reset;
    config->jump_to_alias = jump_to_alias;
    config->to_alias_fallback = to_alias_fallback;
    config->to_parent = to_parent;
    config->to_child = to_child;
    config->is_module_present = is_module_present;
    config->get_chunkname = get_chunkname;
    config->get_loadname = get_chunkname;
    config->get_cache_key = get_cache_key;
    config->get_config_status = get_config_status;
    config->get_config = get_config;
    config->load = load;
}

// Sets global name of the shared globals to the value on top (popped), read-only or not.
void set_shared_global(lua_State* L, const char* name)
{
    lua_rawcheckstack(L, 2);
    lua_pushvalue(L, LUA_GLOBALSINDEX);
    const bool readonly = lua_getreadonly(L, -1) != 0;
    lua_setreadonly(L, -1, false);
    lua_pushstring(L, name);
    lua_pushvalue(L, -3);
    lua_rawset(L, -3);
    lua_setreadonly(L, -1, readonly);
    lua_pop(L, 2);
}

// The fast path of a cached require: registry[kFastKey][requirer chunk name][path] = the
// value Luau's require returned. A module's value never changes once cached (Luau caches
// exactly one non-nil result), so a hit is what Luau's require would return; registering a
// module or a resolver starts it afresh. Raises on OOM.
const char kFastKey[] = "_LUAW_REQUIRE_FAST";

void reset_fast_cache(lua_State* L)
{
    lua_rawcheckstack(L, 1);
    lua_newtable(L);
    lua_setfield(L, LUA_REGISTRYINDEX, kFastKey);
}

// The chunk name of the innermost Luau function calling L's running C function (the
// requirer, as Luau's require finds it: C frames skipped), or nullptr.
const TString* requirer_source(lua_State* L)
{
    for (CallInfo* ci = L->ci - 1; ci > L->base_ci; --ci)
        if (ttisfunction(ci->func) && !clvalue(ci->func)->isC)
            return clvalue(ci->func)->l.p->source;
    return nullptr;
}

// Global `require`: a cached module straight from the fast cache (two table lookups, no
// navigation, no host crossing), anything else through Luau's require (upvalue 1).
int require_entry(lua_State* L)
{
    lua_settop(L, 1);
    const TString* source = lua_type(L, 1) == LUA_TSTRING ? requirer_source(L) : nullptr;
    if (source == nullptr)
    {
        lua_pushvalue(L, lua_upvalueindex(1));
        lua_insert(L, 1);
        lua_call(L, 1, LUA_MULTRET);
        return lua_gettop(L);
    }
    lua_rawcheckstack(L, 4);
    lua_getfield(L, LUA_REGISTRYINDEX, kFastKey); // 2: the fast cache
    lua_pushlstring(L, getstr(source), source->len); // 3: the requirer
    lua_rawget(L, 2);                                // 3: its table, or nil
    if (lua_istable(L, 3))
    {
        lua_pushvalue(L, 1);
        lua_rawget(L, 3);
        if (!lua_isnil(L, -1))
            return 1;
        lua_pop(L, 1);
    }
    lua_pushvalue(L, lua_upvalueindex(1));
    lua_pushvalue(L, 1);
    lua_call(L, 1, LUA_MULTRET); // 4..: the results
    const int n = lua_gettop(L) - 3;
    if (n == 1 && !lua_isnil(L, 4) && lua_istable(L, 2))
    {
        if (!lua_istable(L, 3))
        {
            lua_newtable(L);
            lua_replace(L, 3);
            lua_pushlstring(L, getstr(source), source->len);
            lua_pushvalue(L, 3);
            lua_rawset(L, 2);
        }
        lua_pushvalue(L, 1);
        lua_pushvalue(L, 4);
        lua_rawset(L, 3);
    }
    return n;
}

// The state's context, created (with require installed) on first use. Raises on OOM.
RequireCtx* ensure_ctx(luaw_State* S, lua_State* L)
{
    lua_rawcheckstack(L, 2);
    lua_getfield(L, LUA_REGISTRYINDEX, kCtxKey);
    if (RequireCtx* c = static_cast<RequireCtx*>(lua_touserdata(L, -1)))
    {
        lua_pop(L, 1);
        return c;
    }
    lua_pop(L, 1);
    void* block = lua_newuserdatadtor(L, sizeof(RequireCtx), destroy_ctx);
    RequireCtx* c = new (block) RequireCtx();
    c->S = S;
    lua_setfield(L, LUA_REGISTRYINDEX, kCtxKey);
    luarequire_pushrequire(L, init_config, c);
    require_body.store(lua_tocfunction(L, -1), std::memory_order_relaxed);
    lua_pushcclosure(L, require_entry, "require", 1);
    set_shared_global(L, "require");
    reset_fast_cache(L);
    return c;
}

} // namespace

namespace luaw {

void freeze_host_modules(lua_State* L)
{
    lua_rawcheckstack(L, 3);
    lua_getfield(L, LUA_REGISTRYINDEX, "_REGISTEREDMODULES"); // luarequire_registermodule's
    if (lua_istable(L, -1))
        for (int i = 0; (i = lua_rawiter(L, -1, i)) >= 0;)
        {
            if (lua_istable(L, -1))
                lua_setreadonly(L, -1, true);
            lua_pop(L, 2);
        }
    lua_pop(L, 1);
}

bool is_require_function(lua_CFunction f)
{
    return f != nullptr && f == require_body.load(std::memory_order_relaxed);
}

} // namespace luaw

extern "C" int32_t luaw_set_require(luaw_State* S, uint64_t resolver_id, luaw_Error* err) noexcept
{
    if (S == nullptr)
        return set_error(S, err, LUAW_ERRARG, "luaw_set_require: no state", 26);
    if (S->host_depth > 0 || S->running)
        return set_error(S, err, LUAW_ERRBUSY, "luaw_set_require: not allowed during a run", 42);
    lua_State* L = S->L;
    const int top = lua_gettop(L);
    if (resolver_id != 0)
    {
        static const char name[] = "require resolver";
        int32_t rc = luaw_push_function(S, resolver_id, name, sizeof(name) - 1, err);
        if (rc != LUAW_OK)
            return rc;
    }
    int rc = protect(L, [&](lua_State* L) {
        RequireCtx* c = ensure_ctx(S, L);
        reset_fast_cache(L);
        c->resolved.clear(); // the new resolver's files may differ
        if (c->resolver_ref != LUA_NOREF)
            lua_unref(L, c->resolver_ref);
        c->resolver_ref = LUA_NOREF;
        if (resolver_id != 0)
            c->resolver_ref = lua_ref(L, top + 1);
    });
    if (rc != LUA_OK)
    {
        int32_t status = conclude_error(S, rc, err);
        lua_settop(L, top);
        return status;
    }
    lua_settop(L, top);
    return set_ok(err);
}

extern "C" int32_t luaw_register_module(luaw_State* S, const char* name, size_t name_len, luaw_Error* err) noexcept
{
    if (S == nullptr || name == nullptr || name_len == 0 || name[0] != '@' || std::memchr(name, 0, name_len))
        return set_error(S, err, LUAW_ERRARG, "luaw_register_module: the name must begin with '@'", 50);
    lua_State* L = S->current;
    const int top = lua_gettop(L);
    if (top < 1)
        return set_error(S, err, LUAW_ERRARG, "luaw_register_module: no value", 30);
    lua_State* main = S->L;
    if (S->host_depth > 0 || S->running)
    {
        // Installing require changes the shared globals: only outside a run.
        lua_getfield(main, LUA_REGISTRYINDEX, kCtxKey);
        const bool installed = lua_touserdata(main, -1) != nullptr;
        lua_pop(main, 1);
        if (!installed)
            return set_error(S, err, LUAW_ERRBUSY, "luaw_register_module: require is not installed", 46);
    }
    int rc = protect(L, [&](lua_State* L) {
        if (L == main)
            ensure_ctx(S, L);
        lua_rawcheckstack(L, 3);
        if (S->sandboxed && lua_istable(L, top))
            lua_setreadonly(L, top, true); // a host table, read-only as the sandbox's are
        lua_pushcfunction(L, luarequire_registermodule, "registermodule");
        lua_pushlstring(L, name, name_len);
        lua_pushvalue(L, top);
        lua_call(L, 2, 0);
        reset_fast_cache(L);
    });
    if (rc != LUA_OK)
    {
        int32_t status = conclude_error(S, rc, err);
        lua_settop(L, top - 1);
        return status;
    }
    lua_settop(L, top - 1);
    return set_ok(err);
}
