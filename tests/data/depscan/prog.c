/* prog: a program linked against libfoo.so.1 (DT_NEEDED libfoo.so.1 and
 * the C library, PT_INTERP the host's dynamic loader). */
int foo_answer(void);

int
main(void)
{
	return foo_answer() == 42 ? 0 : 1;
}
