// What the CPU can run: cpuid feature bits checked against the OS's enabled state (XCR0), as
// compiler-rt, oneDNN and MLAS do: AVX2+FMA need XMM|YMM state (bits 1–2), AVX-512F also the
// opmask and ZMM state (bits 5–7). Elsewhere than x86-64 only the portable path exists.
#include "internal.h"
#include <stdio.h>
#include <string.h>
#include <stdlib.h>
#include <stdint.h>
#include <pthread.h>
#if defined(__x86_64__)
#include <cpuid.h>

static uint64_t read_xcr0(void) {
    uint32_t eax, edx;
    __asm__ volatile("xgetbv" : "=a"(eax), "=d"(edx) : "c"(0));
    return ((uint64_t)edx << 32) | eax;
}

static int x86_supports(int isa) {
    unsigned a, b, c, d;
    if (!__get_cpuid(1, &a, &b, &c, &d)) return 0;
    int osxsave = (c >> 27) & 1, fma = (c >> 12) & 1, avx = (c >> 28) & 1;
    if (!osxsave || !avx) return 0;
    uint64_t xcr0 = read_xcr0();
    if ((xcr0 & 6) != 6) return 0;
    if (__get_cpuid_max(0, 0) < 7) return 0;
    __cpuid_count(7, 0, a, b, c, d);
    int avx2 = (b >> 5) & 1, avx512f = (b >> 16) & 1, avx512dq = (b >> 17) & 1;
    int avx512bw = (b >> 30) & 1, avx512vl = (b >> 31) & 1;
    if (isa == VK_ISA_AVX2) return avx2 && fma;
    if (isa == VK_ISA_AVX512)
        return avx2 && fma && avx512f && avx512dq && avx512bw && avx512vl && (xcr0 & 0xE0) == 0xE0;
    return 0;
}
#endif

int vk_isa_supported(int isa) {
    if (isa == VK_ISA_PORTABLE) return 1;
#if defined(__x86_64__)
    // cpuid is a VM exit under a hypervisor (microseconds), and every kernel entry asks: the answer
    // is cached per ISA (0 unknown, 1 no, 2 yes; racing first calls store the same value).
    static int cached[3];
    if (isa < 0 || isa > VK_ISA_AVX512) return 0;
    int known = __atomic_load_n(&cached[isa], __ATOMIC_RELAXED);
    if (known) return known == 2;
    int yes = x86_supports(isa);
    __atomic_store_n(&cached[isa], yes ? 2 : 1, __ATOMIC_RELAXED);
    return yes;
#else
    return 0;
#endif
}

void vk_cpu_name(char *buffer, size_t size) {
    if (size == 0) return;
    buffer[0] = 0;
#if defined(__x86_64__)
    unsigned regs[12];
    if (__get_cpuid_max(0x80000000, 0) >= 0x80000004) {
        for (unsigned i = 0; i < 3; i++)
            __get_cpuid(0x80000002 + i, &regs[4 * i], &regs[4 * i + 1], &regs[4 * i + 2], &regs[4 * i + 3]);
        char name[49];
        memcpy(name, regs, 48);
        name[48] = 0;
        const char *s = name;
        while (*s == ' ') s++;
        // Family and model (cpuid leaf 1, extended fields folded in as Intel and AMD document):
        // virtual machines often show a brand string without the generation ("AMD EPYC").
        unsigned a, b, c, d;
        if (__get_cpuid(1, &a, &b, &c, &d)) {
            unsigned family = (a >> 8) & 0xF, model = (a >> 4) & 0xF;
            if (family == 0xF) family += (a >> 20) & 0xFF;
            if (family == 0x6 || family >= 0xF) model += ((a >> 16) & 0xF) << 4;
            snprintf(buffer, size, "%s (family %u model %u)", s, family, model);
        } else {
            snprintf(buffer, size, "%s", s);
        }
    }
#else
    FILE *f = fopen("/proc/cpuinfo", "r");
    if (f) {
        char line[256];
        while (fgets(line, sizeof line, f)) {
            if (strncmp(line, "model name", 10) == 0 || strncmp(line, "Processor", 9) == 0 ||
                strncmp(line, "CPU part", 8) == 0) {
                char *colon = strchr(line, ':');
                if (colon) {
                    colon++;
                    while (*colon == ' ' || *colon == '\t') colon++;
                    colon[strcspn(colon, "\n")] = 0;
                    snprintf(buffer, size, "%s", colon);
                    break;
                }
            }
        }
        fclose(f);
    }
#endif
    size_t n = strlen(buffer);
    while (n > 0 && buffer[n - 1] == ' ') buffer[--n] = 0;
    if (buffer[0] == 0) snprintf(buffer, size, "unknown CPU");
}

const vk_impl *vk_impl_for(int isa) {
#if defined(__x86_64__)
    if (isa == VK_ISA_AVX512 && vk_isa_supported(VK_ISA_AVX512)) return &vk_impl_avx512;
    if (isa == VK_ISA_AVX2 && vk_isa_supported(VK_ISA_AVX2)) return &vk_impl_avx2;
#endif
    (void)isa;
    return &vk_impl_portable;
}

int vk_gemm_mr(int isa) { return vk_impl_for(isa)->mr; }
int vk_gemm_nr(int isa) { return vk_impl_for(isa)->nr; }

double vk_fma_peak_loop(int isa, long iterations) {
#if defined(__x86_64__)
    if (isa == VK_ISA_AVX512 && vk_isa_supported(isa)) return vk_fma_avx512(iterations);
    if (isa == VK_ISA_AVX2 && vk_isa_supported(isa)) return vk_fma_avx2(iterations);
#endif
    return vk_fma_portable(iterations);
}

enum { WORKSPACE_SLOTS = 9 };
static _Thread_local float *workspace_buffers[WORKSPACE_SLOTS];
static _Thread_local size_t workspace_capacity[WORKSPACE_SLOTS];

/// Frees the exiting thread's workspaces (threads of a caller's pool come and go; without this each
/// left its buffers behind). Runs before the thread's _Thread_local storage goes away.
static pthread_key_t workspace_key;
static pthread_once_t workspace_key_once = PTHREAD_ONCE_INIT;

static void free_workspaces(void *unused) {
    (void)unused;
    for (int slot = 0; slot < WORKSPACE_SLOTS; slot++) {
        free(workspace_buffers[slot]);
        workspace_buffers[slot] = NULL;
        workspace_capacity[slot] = 0;
    }
}

static void make_workspace_key(void) { pthread_key_create(&workspace_key, free_workspaces); }

float *vk_workspace(int slot, size_t floats) {
    if (workspace_capacity[slot] >= floats) return workspace_buffers[slot];
    // The key's value only marks the thread as holding workspaces (the destructor needs non-NULL).
    pthread_once(&workspace_key_once, make_workspace_key);
    pthread_setspecific(workspace_key, (void *)1);
    size_t bytes = ((floats * sizeof(float)) + 4095) & ~(size_t)4095;
    float *fresh = aligned_alloc(64, bytes);
    if (!fresh) return NULL;
    free(workspace_buffers[slot]);
    workspace_buffers[slot] = fresh;
    workspace_capacity[slot] = bytes / sizeof(float);
    return fresh;
}
