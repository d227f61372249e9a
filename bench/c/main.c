/* c-bench SECTION: the C ABI sections of `make bench`, against the dev server
 * at $WI_BENCH_URL, printing JSON records on stdout. Sections: cached, scaling. */
#include <stdio.h>
#include <string.h>

void bench_cached(void);
void bench_scaling(void);

int main(int argc, char **argv) {
    const char *section = argc > 1 ? argv[1] : "";
    if (strcmp(section, "cached") == 0) {
        bench_cached();
    } else if (strcmp(section, "scaling") == 0) {
        bench_scaling();
    } else {
        fprintf(stderr, "usage: c-bench cached|scaling (WI_BENCH_URL=http://127.0.0.1:PORT)\n");
        return 2;
    }
    return 0;
}
