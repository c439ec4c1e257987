/* KVM functional probe: a multiboot (v1) ELF that QEMU's -kernel loader starts in 32-bit protected mode.
   It builds identity page tables for the first 2 MiB, enters 64-bit long mode the way a Linux kernel does
   (PAE, EFER.LME, paging, far jump to a 64-bit segment), then writes 0x31 to isa-debug-exit at port 0xf4:
   QEMU exits with status (0x31 << 1) | 1 = 99. A hypervisor that cannot run this never produces 99.
   Rebuild kvm-probe.elf (embedded in the assembly) with binutils:
     as --32 -o kvm-probe.o kvm-probe.S && ld -m elf_i386 -N -Ttext 0x100000 --build-id=none -s -o kvm-probe.elf kvm-probe.o */
        .set MB_MAGIC, 0x1BADB002
        .set MB_FLAGS, 0
        .section .text
        .code32
        .align 4
        .long MB_MAGIC
        .long MB_FLAGS
        .long -(MB_MAGIC + MB_FLAGS)
        .globl _start
_start:
        cli
        /* PML4[0] -> PDPT, PDPT[0] -> PD, PD[0] = 2 MiB page at 0 (present, writable, large) */
        movl $pdpt, %eax
        orl $3, %eax
        movl %eax, pml4
        movl $pd, %eax
        orl $3, %eax
        movl %eax, pdpt
        movl $0x83, pd
        movl %cr4, %eax
        orl $0x20, %eax          /* CR4.PAE */
        movl %eax, %cr4
        movl $pml4, %eax
        movl %eax, %cr3
        movl $0xC0000080, %ecx   /* IA32_EFER */
        rdmsr
        orl $0x100, %eax         /* EFER.LME */
        wrmsr
        movl %cr0, %eax
        orl $0x80000001, %eax    /* CR0.PG | CR0.PE */
        movl %eax, %cr0
        lgdt gdt_pointer
        ljmp $0x08, $long_mode

        .code64
long_mode:
        movl $0x31, %eax
        movw $0xf4, %dx
        outl %eax, %dx
halt:
        hlt
        jmp halt

        .section .rodata
        .align 8
gdt:
        .quad 0
        .quad 0x00209A0000000000  /* 64-bit code segment: present, executable, L=1 */
gdt_end:
gdt_pointer:
        .word gdt_end - gdt - 1
        .long gdt

        .section .bss
        .align 4096
pml4:   .skip 4096
pdpt:   .skip 4096
pd:     .skip 4096
