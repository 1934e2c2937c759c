/* A tiny C program packaged by recipes/hello-c.yaml. */
#include <stdio.h>

int
main(void)
{
	printf("hello from C, built by builderd\n");
	return 0;
}
