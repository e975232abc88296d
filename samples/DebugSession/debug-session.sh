#!/usr/bin/env bash
# A source-level debugging session on a BPF program compiled ahead of time (docs/aot.md,
# "A debugging session"): writes samples/bpf/loops.o as a .NET assembly with its PDB, runs
# sum_bytes_with_bpf_loop under a debugger with a breakpoint on a C line of the bpf_loop callback,
# and prints where it stopped. Exits 0 only if the breakpoint was hit.
#
#   samples/DebugSession/debug-session.sh [FILE.c:LINE]     (default loops.c:16)
#
# Needs gcc and the .NET SDK; the debugger is cordbg.c (ICorDebug, see its header for why not
# lldb + SOS). Not part of the test suite.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
line=${1:-loops.c:16}
work=${DEBUG_SESSION_DIR:-$(mktemp -d)}

dotnet build "$root/src/Bpf.Cli/Bpf.Cli.csproj" -c Release -v q -nologo > "$work/build.log"
dotnet build "$here/DebugSession.csproj" -c Release -v q -nologo -o "$work/host" >> "$work/build.log"
gcc -O1 -Wall -o "$work/cordbg" "$here/cordbg.c" -ldl
dotnet "$root/src/Bpf.Cli/bin/Release/net10.0/bpfjit.dll" aot "$root/samples/bpf/loops.o" -o "$work/host/Loops.dll" > /dev/null

session=$(dotnet "$work/host/DebugSession.dll" locate "$work/host/Loops.dll" "$line")
read -r token offset method <<< "$session"
echo "(cordbg) break $line -> $method"

# The emitted methods are AggressiveOptimization (compiled once, fully optimized): optimized code
# keeps native addresses for few IL offsets, so a breakpoint on most C lines would not bind.
# JITMinOpts makes the JIT keep one for every sequence point, as a debug build would.
DOTNET_JITMinOpts=1 "$work/cordbg" Loops.dll "$token" "$offset" "$line" -- \
    dotnet "$work/host/DebugSession.dll" run "$work/host/Loops.dll" sum_bytes_with_bpf_loop 1 2 3 250 \
    | dotnet "$work/host/DebugSession.dll" symbolize
