/* libfoo: a shared library with a SONAME for the ELF and dependency-scan
 * unit tests (built as libfoo.so.1 with -Wl,-soname,libfoo.so.1). */
int foo_answer(void);

int
foo_answer(void)
{
	return 42;
}
