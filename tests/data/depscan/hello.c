/* hello: linked statically (no PT_INTERP, no dynamic section) and as a PIE
 * (ET_DYN with PT_INTERP) by the ELF unit tests. */
#include <stdio.h>

int
main(void)
{
	puts("hello");
	return 0;
}
