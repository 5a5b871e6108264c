// Loading source on the calling thread: the host side of a loadstring.
#include "internal.h"

#include <string>

using namespace luaw;

extern "C" int32_t luaw_load_source(luaw_State* S, const char* src, size_t src_len, const char* chunkname,
                                    size_t chunkname_len, const luaw_CompileOptions* opts, luaw_Error* err) noexcept
{
    if (S == nullptr || (src == nullptr && src_len != 0) || (chunkname == nullptr && chunkname_len != 0))
        return set_error(S, err, LUAW_ERRARG, "luaw_load_source: bad argument", 30);
    char* out = nullptr;
    size_t out_len = 0;
    int32_t rc = luaw_compile(src, src_len, opts, &out, &out_len);
    if (rc == LUAW_OK)
    {
        rc = luaw_load(S, chunkname, chunkname_len, out, out_len, err);
        luaw_free(out);
        return rc;
    }
    if (rc != LUAW_ERRSYNTAX)
    {
        luaw_free(out);
        return rc == LUAW_ERRARG ? set_error(S, err, rc, "luaw_load_source: bad compile options", 37)
                                 : set_error(S, err, rc, "not enough memory", 17);
    }
    // The loader formats the message with the chunk's name when it is handed the compiler's
    // error encoding (a zero version byte, then ":<line>: <text>"); it pushes nothing then.
    std::string encoded;
    try
    {
        encoded.reserve(out_len + 1);
        encoded.push_back('\0');
        encoded.append(out, out_len);
    }
    catch (...)
    {
        luaw_free(out);
        return set_error(S, err, LUAW_ERRMEM, "not enough memory", 17);
    }
    luaw_free(out);
    return luaw_load(S, chunkname, chunkname_len, encoded.data(), encoded.size(), err);
}
