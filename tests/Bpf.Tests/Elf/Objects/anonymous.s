# A program section without function symbols (hand-written assembly, as some tools emit): the
# loader makes it one program named after its section.
	.section	"socket","ax",@progbits
	r0 = 7
	exit

	.section	"license","aw",@progbits
	.asciz	"GPL"
