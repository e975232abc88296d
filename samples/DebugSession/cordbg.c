// cordbg: a minimal source-level debugger for .NET on Linux, built on the runtime's own debugging
// API (ICorDebug, in libmscordbi.so beside libcoreclr.so): it starts a host, attaches to it, sets
// one breakpoint at an IL offset of a method, lets the host run, and prints the managed stack when
// the breakpoint is hit. The line-to-IL look-up and the naming of frames are done from the PDB by
// `DebugSession locate` and `DebugSession symbolize` (see debug-session.sh and docs/aot.md).
//
// Why not lldb + SOS, or netcoredbg: neither SOS (the dotnet-sos tool) nor libdbgshim.so nor
// netcoredbg can be installed here (not in the NuGet feed this machine reaches, not in Debian).
// dbgshim's part is small and done here by hand: load mscordbi through the PAL it runs on (the
// DAC's), call its DllMain (which creates the debugger transport) and CoreCLRCreateCordbObjectEx
// with the target's pid and the address of its libcoreclr.so.
//
// usage: cordbg MODULE_FILE METHOD_TOKEN IL_OFFSET LABEL -- COMMAND...
// COMMAND must print one line when its runtime is up, then wait for a line on stdin.
#define _GNU_SOURCE
#include <dlfcn.h>
#include <semaphore.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

typedef int32_t HRESULT;
typedef struct { uint32_t a; uint16_t b, c; uint8_t d[8]; } GUID;
typedef void (*Method)(void); // any method: cast to its type to call it

// COM on Linux is the Windows layout with the SysV calling convention: an object starts with a
// pointer to its vtable, and every method takes the object first. Slots count IUnknown's three.
#define CALL(object, slot, type, ...) ((type)(*(Method **)(object))[slot])(object, ##__VA_ARGS__)

enum {
    ICorDebug_Initialize = 3, ICorDebug_SetManagedHandler = 5, ICorDebug_DebugActiveProcess = 8,
    ICorDebugController_Continue = 4,
    ICorDebugModule_GetName = 6, ICorDebugModule_GetFunctionFromToken = 9,
    ICorDebugFunction_GetModule = 3, ICorDebugFunction_GetToken = 5, ICorDebugFunction_GetILCode = 6,
    ICorDebugCode_CreateBreakpoint = 7,
    ICorDebugBreakpoint_Activate = 3,
    ICorDebugThread_GetID = 4, ICorDebugThread_GetActiveFrame = 15,
    ICorDebugFrame_GetFunction = 5, ICorDebugFrame_GetCaller = 8,
    ICorDebugILFrame_GetIP = 11,
};

static const GUID IID_IUnknown = {0, 0, 0, {0xC0, 0, 0, 0, 0, 0, 0, 0x46}};
static const GUID IID_ICorDebug = {0x3D6F5F61, 0x7538, 0x11D3, {0x8D, 0x5B, 0x00, 0x10, 0x4B, 0x35, 0xE7, 0xEF}};
static const GUID IID_ICorDebugManagedCallback = {0x3D6F5F60, 0x7538, 0x11D3, {0x8D, 0x5B, 0x00, 0x10, 0x4B, 0x35, 0xE7, 0xEF}};
static const GUID IID_ICorDebugManagedCallback2 = {0x250E5EEA, 0xDB5C, 0x4C76, {0xB6, 0xF3, 0x8C, 0x46, 0xF1, 0x2E, 0x32, 0x03}};
static const GUID IID_ICorDebugILFrame = {0x03E26311, 0x4F76, 0x11D3, {0x88, 0xC6, 0x00, 0x60, 0x97, 0x94, 0x54, 0x18}};
static const int CorDebugVersion_4_0 = 4;
static const HRESULT E_NOINTERFACE = (HRESULT)0x80004002;

static const char *module_file, *label;
static uint32_t method_token, il_offset;
static sem_t breakpoint_set, process_exited;
static void *breakpoint;
static int hits;

static void check(HRESULT hr, const char *what)
{
    if (hr < 0) {
        printf("(cordbg) %s failed: 0x%08x\n", what, (unsigned)hr);
        exit(1);
    }
}

static HRESULT resume(void *controller) { return CALL(controller, ICorDebugController_Continue, HRESULT (*)(void *, int), 0); }

static void module_name(void *module, char *out, size_t size)
{
    uint16_t wide[1024];
    uint32_t length = 0;
    CALL(module, ICorDebugModule_GetName, HRESULT (*)(void *, uint32_t, uint32_t *, uint16_t *), 1024, &length, wide);
    size_t i = 0;
    for (; i + 1 < size && i < length && wide[i]; i++)
        out[i] = (char)wide[i]; // paths here are ASCII
    out[i] = 0;
}

// "MODULE_PATH!0xTOKEN": what `DebugSession symbolize` turns into a method name.
static void describe_function(void *function, char *out, size_t size)
{
    void *module = NULL;
    uint32_t token = 0;
    char name[1024];
    CALL(function, ICorDebugFunction_GetModule, HRESULT (*)(void *, void **), &module);
    CALL(function, ICorDebugFunction_GetToken, HRESULT (*)(void *, uint32_t *), &token);
    module_name(module, name, sizeof name);
    snprintf(out, size, "%s!0x%08x", name, token);
}

// The callbacks. The runtime is stopped during each one; every callback but ExitProcess resumes
// it through the controller (app domain or process) it was given first.
static HRESULT on_other_event(void *self, void *controller) { return resume(controller); }
static HRESULT on_exit_process(void *self, void *process)
{
    sem_post(&process_exited);
    return 0;
}
static HRESULT on_debugger_error(void *self, void *process, HRESULT hr, uint32_t code)
{
    printf("(cordbg) debugger error 0x%08x\n", (unsigned)hr);
    sem_post(&breakpoint_set);
    sem_post(&process_exited);
    return 0;
}
static HRESULT on_load_module(void *self, void *app_domain, void *module)
{
    char name[1024];
    module_name(module, name, sizeof name);
    const char *file = strrchr(name, '/');
    if (!breakpoint && file && strcmp(file + 1, module_file) == 0) {
        void *function = NULL, *code = NULL;
        check(CALL(module, ICorDebugModule_GetFunctionFromToken, HRESULT (*)(void *, uint32_t, void **), method_token, &function), "GetFunctionFromToken");
        check(CALL(function, ICorDebugFunction_GetILCode, HRESULT (*)(void *, void **), &code), "GetILCode");
        check(CALL(code, ICorDebugCode_CreateBreakpoint, HRESULT (*)(void *, uint32_t, void **), il_offset, &breakpoint), "CreateBreakpoint");
        check(CALL(breakpoint, ICorDebugBreakpoint_Activate, HRESULT (*)(void *, int), 1), "Activate");
        printf("(cordbg) breakpoint 1: %s = %s!0x%08x IL_%04x\n", label, name, method_token, il_offset);
        sem_post(&breakpoint_set);
    }
    return resume(app_domain);
}
static HRESULT on_breakpoint(void *self, void *app_domain, void *thread, void *hit)
{
    uint32_t thread_id = 0;
    CALL(thread, ICorDebugThread_GetID, HRESULT (*)(void *, uint32_t *), &thread_id);
    hits++;
    printf("(cordbg) thread %u stopped at breakpoint 1 (%s)\n(cordbg) backtrace\n", thread_id, label);
    void *frame = NULL;
    CALL(thread, ICorDebugThread_GetActiveFrame, HRESULT (*)(void *, void **), &frame);
    for (int depth = 0; frame && depth < 64; depth++) {
        void *function = NULL, *il_frame = NULL, *caller = NULL;
        char text[1200] = "[runtime frame]";
        if (CALL(frame, ICorDebugFrame_GetFunction, HRESULT (*)(void *, void **), &function) >= 0 && function)
            describe_function(function, text, sizeof text);
        printf("  #%d %s", depth, text);
        if (CALL(frame, 0, HRESULT (*)(void *, const GUID *, void **), &IID_ICorDebugILFrame, &il_frame) >= 0 && il_frame) {
            uint32_t ip = 0;
            int mapping = 0;
            CALL(il_frame, ICorDebugILFrame_GetIP, HRESULT (*)(void *, uint32_t *, int *), &ip, &mapping);
            printf(" IL_%04x", ip);
        }
        printf("\n");
        if (CALL(frame, ICorDebugFrame_GetCaller, HRESULT (*)(void *, void **), &caller) < 0)
            break;
        frame = caller;
    }
    // One stop is the proof; the callback runs once per byte, so the rest run free.
    CALL(breakpoint, ICorDebugBreakpoint_Activate, HRESULT (*)(void *, int), 0);
    printf("(cordbg) continue\n");
    return resume(app_domain);
}
static HRESULT on_breakpoint_set_error(void *self, void *app_domain, void *thread, void *failed, uint32_t error)
{
    // The JIT kept no native code for the IL offset: optimized code (see debug-session.sh).
    printf("(cordbg) breakpoint 1 could not be bound in the compiled method\n");
    return resume(app_domain);
}

static Method callback_vtable[3 + 26], callback2_vtable[3 + 8];
static struct { Method *vtable; } callback = {callback_vtable}, callback2 = {callback2_vtable};
static HRESULT query_interface(void *self, const GUID *iid, void **out)
{
    if (!memcmp(iid, &IID_IUnknown, sizeof(GUID)) || !memcmp(iid, &IID_ICorDebugManagedCallback, sizeof(GUID)))
        *out = &callback;
    else if (!memcmp(iid, &IID_ICorDebugManagedCallback2, sizeof(GUID)))
        *out = &callback2; // required by the runtime; all its events are resumed
    else
        *out = NULL;
    return *out ? 0 : E_NOINTERFACE;
}
static uint32_t add_ref_or_release(void *self) { return 1; } // static objects

static void make_callbacks(void)
{
    for (int i = 3; i < 3 + 26; i++)
        callback_vtable[i] = (Method)on_other_event;
    for (int i = 3; i < 3 + 8; i++)
        callback2_vtable[i] = (Method)on_other_event;
    callback_vtable[0] = callback2_vtable[0] = (Method)query_interface;
    callback_vtable[1] = callback_vtable[2] = callback2_vtable[1] = callback2_vtable[2] = (Method)add_ref_or_release;
    // ICorDebugManagedCallback's methods, in order: Breakpoint, StepComplete, Break, Exception,
    // EvalComplete, EvalException, CreateProcess, ExitProcess, CreateThread, ExitThread,
    // LoadModule, UnloadModule, LoadClass, UnloadClass, DebuggerError, ..., BreakpointSetError (26th).
    callback_vtable[3 + 0] = (Method)on_breakpoint;
    callback_vtable[3 + 7] = (Method)on_exit_process;
    callback_vtable[3 + 10] = (Method)on_load_module;
    callback_vtable[3 + 14] = (Method)on_debugger_error;
    callback_vtable[3 + 25] = (Method)on_breakpoint_set_error;
}

int main(int argc, char **argv)
{
    if (argc < 7 || strcmp(argv[5], "--") != 0) {
        fprintf(stderr, "usage: cordbg MODULE_FILE METHOD_TOKEN IL_OFFSET LABEL -- COMMAND...\n");
        return 2;
    }
    setvbuf(stdout, NULL, _IOLBF, 0);
    module_file = argv[1];
    method_token = strtoul(argv[2], NULL, 0);
    il_offset = strtoul(argv[3], NULL, 0);
    label = argv[4];
    sem_init(&breakpoint_set, 0, 0);
    sem_init(&process_exited, 0, 0);
    make_callbacks();

    int to_host[2], from_host[2];
    if (pipe(to_host) || pipe(from_host))
        return 1;
    pid_t pid = fork();
    if (pid == 0) {
        dup2(to_host[0], 0);
        dup2(from_host[1], 1);
        close(to_host[1]);
        close(from_host[0]);
        execvp(argv[6], argv + 6);
        _exit(127);
    }
    close(to_host[0]);
    close(from_host[1]);
    FILE *host_output = fdopen(from_host[0], "r");
    char line[4096];
    if (!fgets(line, sizeof line, host_output))
        return 1;
    fputs(line, stdout);

    // The runtime the host runs: where its libcoreclr.so is mapped, and the directory it is in
    // (mscordbi and the DAC must be the ones of that exact runtime).
    char path[64], runtime_directory[4096] = "";
    uintptr_t coreclr = 0;
    snprintf(path, sizeof path, "/proc/%d/maps", pid);
    FILE *maps = fopen(path, "r");
    while (maps && fgets(line, sizeof line, maps)) {
        char *file = strchr(line, '/');
        if (file && strstr(file, "/libcoreclr.so\n")) {
            coreclr = strtoull(line, NULL, 16);
            file[strlen(file) - strlen("/libcoreclr.so\n")] = 0;
            snprintf(runtime_directory, sizeof runtime_directory, "%s", file);
            break;
        }
    }
    if (maps)
        fclose(maps);
    if (!coreclr) {
        printf("(cordbg) no libcoreclr.so in process %d\n", pid);
        return 1;
    }
    printf("(cordbg) attach %d (runtime %s)\n", pid, runtime_directory);

    char mscordbi_path[4200], dac_path[4200];
    snprintf(mscordbi_path, sizeof mscordbi_path, "%s/libmscordbi.so", runtime_directory);
    snprintf(dac_path, sizeof dac_path, "%s/libmscordaccore.so", runtime_directory);
    void *dac = dlopen(dac_path, RTLD_NOW);
    int (*pal_initialize)(void) = dac ? dlsym(dac, "DAC_PAL_InitializeDLL") : NULL;
    void *(*pal_register_module)(const char *) = dac ? dlsym(dac, "PAL_RegisterModule") : NULL;
    if (!pal_initialize || !pal_register_module) {
        printf("(cordbg) %s has no PAL to run mscordbi on\n", dac_path);
        return 1;
    }
    check(pal_initialize(), "PAL_InitializeDLL"); // without it, ICorDebug::Initialize deadlocks in the PAL
    void *instance = pal_register_module(mscordbi_path);
    void *mscordbi = dlopen(mscordbi_path, RTLD_NOW);
    int (*dll_main)(void *, uint32_t, void *) = mscordbi ? dlsym(mscordbi, "DllMain") : NULL;
    HRESULT (*create)(int, uint32_t, const uint16_t *, void *, void **) = mscordbi ? dlsym(mscordbi, "CoreCLRCreateCordbObjectEx") : NULL;
    if (!instance || !dll_main || !create) {
        printf("(cordbg) cannot load %s\n", mscordbi_path);
        return 1;
    }
    // DLL_PROCESS_ATTACH creates the transport to the target's debugger pipes; without it the
    // attach crashes on a null transport.
    if (!dll_main(instance, 1, NULL)) {
        printf("(cordbg) mscordbi's DllMain failed\n");
        return 1;
    }

    void *unknown = NULL, *cordebug = NULL, *process = NULL;
    check(create(CorDebugVersion_4_0, (uint32_t)pid, NULL, (void *)coreclr, &unknown), "CoreCLRCreateCordbObjectEx");
    check(CALL(unknown, 0, HRESULT (*)(void *, const GUID *, void **), &IID_ICorDebug, &cordebug), "QueryInterface(ICorDebug)");
    check(CALL(cordebug, ICorDebug_Initialize, HRESULT (*)(void *)), "ICorDebug::Initialize");
    check(CALL(cordebug, ICorDebug_SetManagedHandler, HRESULT (*)(void *, void *), &callback), "ICorDebug::SetManagedHandler");
    check(CALL(cordebug, ICorDebug_DebugActiveProcess, HRESULT (*)(void *, uint32_t, int, void **), (uint32_t)pid, 0, &process), "ICorDebug::DebugActiveProcess");

    // Attaching replays a LoadModule for each module already loaded, which sets the breakpoint.
    struct timespec deadline;
    clock_gettime(CLOCK_REALTIME, &deadline);
    deadline.tv_sec += 30;
    sem_timedwait(&breakpoint_set, &deadline);
    if (!breakpoint) {
        printf("(cordbg) %s is not loaded in process %d\n", module_file, pid);
        kill(pid, SIGKILL);
        return 1;
    }
    printf("(cordbg) run\n");
    if (write(to_host[1], "go\n", 3) != 3)
        return 1;
    while (fgets(line, sizeof line, host_output))
        fputs(line, stdout);
    sem_wait(&process_exited);
    int status = 0;
    waitpid(pid, &status, 0);
    printf("(cordbg) process %d exited with status %d\n", pid, WEXITSTATUS(status));
    return hits > 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : 1;
}
