module runc-trace.invalid/test/workload

go 1.23
