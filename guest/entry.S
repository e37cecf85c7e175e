/*
 * In-guest code of the Kontain monitor: the `syscall` landing pad and the exception entries.
 * It is mapped read+execute, user-accessible, in the monitor area at the top of the guest's
 * address space; the monitor reads the symbol offsets from the assembled image (build/guest).
 *
 * Hypercall ABI: a per-vCPU mailbox page whose address is the vCPU's GS base. The landing pad
 * stores the syscall number and arguments there, then writes to the doorbell (the page after the
 * mailbox, mapped to a guest-physical address with no memory behind it), which exits to the
 * monitor as an MMIO write. The monitor writes the result into the mailbox and resumes. The
 * doorbell is the pluggable part: a polled mailbox later needs no change to this layout.
 */
        .set MB_NR,      0
        .set MB_ARG0,    8
        .set MB_ARG1,    16
        .set MB_ARG2,    24
        .set MB_ARG3,    32
        .set MB_ARG4,    40
        .set MB_ARG5,    48
        .set MB_RET,     56
        .set MB_RIP,     64     /* return address (rcx at syscall) */
        .set MB_RFLAGS,  72     /* r11 at syscall */
        .set MB_RSP,     80     /* the caller's stack pointer */
        .set MB_STACK,   88     /* top of the landing pad's private stack (set by the monitor) */
        .set MB_RBX,     96     /* the callee-saved registers: with the arguments above, the */
        .set MB_RBP,     104    /* caller's whole context, so the monitor can copy it (clone, */
        .set MB_R12,     112    /* fork, a signal frame) without KVM_GET_REGS */
        .set MB_R13,     120
        .set MB_R14,     128
        .set MB_R15,     136
        .set MB_SIGBLOCKED, 144 /* the thread's signal mask and its own pending signals, kept by */
        .set MB_SIGPENDING, 152 /* the monitor for the native fast path (not touched here) */
        .set MB_XSAVE_MASK, 160 /* XCR0 components saved at clone (set by the monitor; 0: none) */
        .set MB_CLEARTID, 168   /* the thread's clear_child_tid and robust list head, kept by the */
        .set MB_ROBUST,   176   /* monitor for the native fast path's thread exit (not touched here) */
        .set MB_PROCPENDING, 184 /* the process-directed pending signals, mirrored by the monitor */
        .set MB_SIGOLD,   192   /* the mask before an in-guest rt_sigprocmask (a rewind restores it) */
        .set MB_INGUEST,  200   /* nonzero: calls may be answered here (off under --trace/--stats) */
        .set MB_XSAVE,   1024   /* the caller's XSAVE image at clone and clone3 (64-byte aligned),
                                 * which the new thread starts with: no KVM_GET_XSAVE */
        .set MB_SIZE,    4096
        .set DOORBELL_OFF, 4096 /* gs-relative doorbell: first byte of the page after the mailbox */
        .set EXC_STUB_STRIDE, 16

        .globl MB_NR, MB_ARG0, MB_ARG1, MB_ARG2, MB_ARG3, MB_ARG4, MB_ARG5, MB_RET, MB_RIP
        .globl MB_RFLAGS, MB_RSP, MB_STACK, MB_SIZE, DOORBELL_OFF, EXC_STUB_STRIDE
        .globl MB_RBX, MB_RBP, MB_R12, MB_R13, MB_R14, MB_R15, MB_SIGBLOCKED, MB_SIGPENDING
        .globl MB_XSAVE_MASK, MB_XSAVE, MB_CLEARTID, MB_ROBUST, MB_PROCPENDING, MB_SIGOLD, MB_INGUEST
        .globl syscall_entry, syscall_return, exc_stubs, exc_halt, sigreturn_trampoline, guest_code_end
        .globl sigmask_fast, sigmask_saved, sigmask_redo, sigmask_end
        .set SYS_RT_SIGPROCMASK, 14
        .set SIGSET_SIZE, 8
        .set NOT_UNBLOCKABLE, -262401   /* ~(SIGKILL | SIGSTOP bits), sign-extended from 32 bits */

        .text
        .code64
/*
 * LSTAR target. On PVM the `syscall` instruction stays at CPL3 and we return with popfq + jmp;
 * on hardware KVM it enters CPL0 and we return with sysretq. The caller's stack is never
 * touched (its red zone stays intact): flags are restored through the private stack.
 */
syscall_entry:
        movq    %rax, %gs:MB_NR
        movq    %rdi, %gs:MB_ARG0
        movq    %rsi, %gs:MB_ARG1
        movq    %rdx, %gs:MB_ARG2
        movq    %r10, %gs:MB_ARG3
        movq    %r8,  %gs:MB_ARG4
        movq    %r9,  %gs:MB_ARG5
        movq    %rcx, %gs:MB_RIP
        movq    %r11, %gs:MB_RFLAGS
        movq    %rsp, %gs:MB_RSP
        movq    %rbx, %gs:MB_RBX
        movq    %rbp, %gs:MB_RBP
        movq    %r12, %gs:MB_R12
        movq    %r13, %gs:MB_R13
        movq    %r14, %gs:MB_R14
        movq    %r15, %gs:MB_R15
        cmpq    $SYS_RT_SIGPROCMASK, %rax
        je      sigmask_fast
        cmpl    $56, %eax                       /* clone */
        je      7f
        cmpl    $435, %eax                      /* clone3 */
        jne     8f
7:      movl    %gs:MB_XSAVE_MASK, %eax
        testl   %eax, %eax
        jz      9f
        movl    %gs:MB_XSAVE_MASK+4, %edx
        xsave   %gs:MB_XSAVE
9:      movq    %gs:MB_ARG2, %rdx               /* xsave took edx:eax */
        movq    %gs:MB_NR, %rax
syscall_doorbell:
8:      movl    %eax, %gs:DOORBELL_OFF          /* exit to the monitor */
syscall_return:
        movl    %cs, %ecx
        testb   $3, %cl
        jz      1f
        movq    %gs:MB_STACK, %rsp              /* CPL3 (PVM) */
        pushq   %gs:MB_RFLAGS
        movq    %gs:MB_RIP, %rcx
        movq    %gs:MB_RFLAGS, %r11
        movq    %gs:MB_RET, %rax
        popfq
        movq    %gs:MB_RSP, %rsp
        jmp     *%rcx
1:      movq    %gs:MB_RIP, %rcx                /* CPL0 (hardware KVM) */
        movq    %gs:MB_RFLAGS, %r11
        movq    %gs:MB_RET, %rax
        movq    %gs:MB_RSP, %rsp
        sysretq

/* Default signal-return trampoline (for handlers installed without SA_RESTORER). */
        .balign 16
sigreturn_trampoline:
        movl    $15, %eax
        syscall
        ud2

/*
 * rt_sigprocmask answered here, without an exit (on PVM here ~7 us, the trap of `syscall` itself,
 * against ~35 for an exit), in its plain case: an 8-byte set and nothing pending for the thread or
 * the process (pending signals go to the monitor, which delivers what the new mask lets through). Only rax, rcx and r11 are used:
 * syscall_return reloads them. The protocol with the monitor (src/km/deliver.ts):
 *   - the new mask is stored with xchg (a full barrier), then the pending words are read again;
 *     the monitor stores a pending signal, then reads the mask (then kicks the vCPU if the mask
 *     lets it in), so one of the two sees the other;
 *   - the monitor's kick for a signal posted before a pending check is caught by that check;
 *     one that lands after the last check, between sigmask_saved and sigmask_end, is rewound by
 *     the monitor to sigmask_redo, as is a fault there (a bad set or oldset pointer): the old mask
 *     is put back and the call goes to the monitor as any other (which writes oldset again with
 *     the same value) and delivers the signal as it ends.
 */
sigmask_fast:
        cmpq    $0, %gs:MB_INGUEST
        je      syscall_doorbell
        movq    %gs:MB_SIGBLOCKED, %rcx
        movq    %rcx, %gs:MB_SIGOLD
sigmask_saved:
        cmpq    $SIGSET_SIZE, %r10
        jne     sigmask_slow
        movq    %gs:MB_SIGPENDING, %rax
        orq     %gs:MB_PROCPENDING, %rax
        jnz     sigmask_slow
        testq   %rsi, %rsi
        jz      2f
        cmpl    $2, %edi                        /* how: SIG_BLOCK 0, SIG_UNBLOCK 1, SIG_SETMASK 2 */
        ja      sigmask_slow
        movq    (%rsi), %r11                    /* may fault */
        cmpl    $1, %edi
        ja      1f
        je      3f
        orq     %rcx, %r11                      /* SIG_BLOCK */
        jmp     1f
3:      notq    %r11                            /* SIG_UNBLOCK */
        andq    %rcx, %r11
1:      andq    $NOT_UNBLOCKABLE, %r11
2:      testq   %rdx, %rdx
        jz      4f
        movq    %rcx, (%rdx)                    /* may fault */
4:      testq   %rsi, %rsi
        jz      5f
        xchgq   %r11, %gs:MB_SIGBLOCKED
        movq    %gs:MB_SIGPENDING, %rax
        orq     %gs:MB_PROCPENDING, %rax
        jnz     sigmask_redo
5:      movq    $0, %gs:MB_RET
        jmp     syscall_return
sigmask_redo:
        movq    %gs:MB_SIGOLD, %rcx
        movq    %rcx, %gs:MB_SIGBLOCKED
sigmask_slow:
        movl    $SYS_RT_SIGPROCMASK, %eax
        jmp     syscall_doorbell
sigmask_end:

/*
 * Exception entries, one per vector 0..31 at a fixed stride, reached through IDT interrupt gates
 * at CPL0 on the vCPU's TSS.RSP0 stack. Guest ring-0 code is emulated on PVM (~1 us per
 * instruction), so each entry is three instructions: normalise the frame to
 * [vector, error code, rip, cs, rflags, rsp, ss] and halt; the monitor reads the frame.
 */
        .macro  EXC vec, haserr
        .balign EXC_STUB_STRIDE
        .if     \haserr == 0
        pushq   $0
        .endif
        pushq   $\vec
        jmp     exc_halt
        .endm

        .balign EXC_STUB_STRIDE
exc_stubs:
        EXC 0,0
        EXC 1,0
        EXC 2,0
        EXC 3,0
        EXC 4,0
        EXC 5,0
        EXC 6,0
        EXC 7,0
        EXC 8,1
        EXC 9,0
        EXC 10,1
        EXC 11,1
        EXC 12,1
        EXC 13,1
        EXC 14,1
        EXC 15,0
        EXC 16,0
        EXC 17,1
        EXC 18,0
        EXC 19,0
        EXC 20,0
        EXC 21,1
        EXC 22,0
        EXC 23,0
        EXC 24,0
        EXC 25,0
        EXC 26,0
        EXC 27,0
        EXC 28,0
        EXC 29,1
        EXC 30,1
        EXC 31,0
        .balign EXC_STUB_STRIDE
exc_halt:
        hlt
        jmp     exc_halt
guest_code_end:
