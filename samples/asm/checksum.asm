# The Internet checksum (RFC 1071) of the input memory: the one's complement of the one's
# complement sum of its 16-bit big-endian words, an odd last byte padded with zero.
# r1 = the memory, r2 = its length; r0 = the checksum.
#
#   bpfjit run samples/asm/checksum.asm --mem samples/asm/ipv4-header.hex   ->  000000000000b861

    mov %r0, 0              # the sum
    mov %r3, %r1            # the cursor
    mov %r4, %r1
    add %r4, %r2            # the end
words:
    mov %r5, %r4
    sub %r5, %r3            # bytes left
    jlt %r5, 2, last_byte
    ldxh %r6, [%r3+0]       # two bytes, read little-endian...
    be16 %r6                # ...turned into the big-endian word they are on the wire
    add %r0, %r6
    add %r3, 2
    ja words
last_byte:
    jeq %r5, 0, fold
    ldxb %r6, [%r3+0]
    lsh %r6, 8
    add %r0, %r6
fold:
    mov %r5, %r0            # add the carries back in until none is left
    rsh %r5, 16
    jeq %r5, 0, done
    and %r0, 0xffff
    add %r0, %r5
    ja fold
done:
    xor %r0, 0xffff
    exit
