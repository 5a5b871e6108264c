module github.com/luau-embed/luau-embed

go 1.21
