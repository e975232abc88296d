# The sieve of Eratosthenes over the input memory: byte i stands for the number i, and the
# program crosses out the multiples of each prime it finds. r0 = how many numbers below the
# memory's length are prime. Give it N zero bytes.
#
#   bpfjit run samples/asm/sieve.asm --mem samples/asm/sieve-1000.hex   ->  00000000000000a8 (168)

    mov %r0, 0              # primes found
    mov %r3, 2              # the candidate i
candidates:
    jge %r3, %r2, done
    mov %r4, %r1
    add %r4, %r3
    ldxb %r5, [%r4+0]
    jne %r5, 0, next        # crossed out: not a prime
    add %r0, 1
    mov %r6, %r3
    mul %r6, %r3            # multiples below i*i were crossed out by smaller primes
multiples:
    jge %r6, %r2, next
    mov %r4, %r1
    add %r4, %r6
    stb [%r4+0], 1
    add %r6, %r3
    ja multiples
next:
    add %r3, 1
    ja candidates
done:
    exit
