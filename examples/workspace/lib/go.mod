module example.com/workspace/lib

go 1.26
