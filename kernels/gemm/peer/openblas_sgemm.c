// Times OpenBLAS's cblas_sgemm at the shapes of BenchmarkSgemm (../bench_test.go), row-major,
// beta = 0, and prints one line per shape: "<name> <threads> <GFLOP/s> <GFLOP/cpu-s>", the
// work per second of wall time and per second of the process's CPU time.
//
// usage: openblas_sgemm [seconds per shape] [shape name | -l]
// With a shape name only that shape runs; -l lists the names. The thread count is
// OpenBLAS's own (OPENBLAS_NUM_THREADS). Built and run by compare.sh.
#include <cblas.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct shape { const char *name; int transA, transB, m, n, k; };

static const struct shape shapes[] = {
	{"square256", 0, 0, 256, 256, 256},
	{"square512", 0, 0, 512, 512, 512},
	{"square1024", 0, 0, 1024, 1024, 1024},
	{"square1024_NT", 0, 1, 1024, 1024, 1024},
	{"square1024_TN", 1, 0, 1024, 1024, 1024},
	{"xWt_512x1536x512", 0, 1, 512, 1536, 512},
	{"dYW_512x512x1536", 0, 0, 512, 512, 1536},
	{"dYtX_1536x512x512", 1, 0, 1536, 512, 512},
	{"tiny_xWt_8192x768x128", 0, 1, 8192, 768, 128},
	{"tiny_dYW_8192x128x768", 0, 0, 8192, 128, 768},
	{"tiny_dYtX_768x128x8192", 1, 0, 768, 128, 8192},
	{"QKt_128x128x64", 0, 1, 128, 128, 64},
	{"PV_128x64x128", 0, 0, 128, 64, 128},
	{"gen_xWt_1x1536x512", 0, 1, 1, 1536, 512},
	{"gen_xWt_16x1536x512", 0, 1, 16, 1536, 512},
	{"gen_xWt_64x1536x512", 0, 1, 64, 1536, 512},
	{"gen_QKt_1x256x64", 0, 1, 1, 256, 64},
	{"gen_PV_1x64x256", 0, 0, 1, 64, 256},
};

static double now(void) {
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static float *randomMatrix(size_t n) {
	float *p = malloc(n * sizeof(float));
	for (size_t i = 0; i < n; i++) p[i] = (float)rand() / RAND_MAX - 0.5f;
	return p;
}

int main(int argc, char **argv) {
	double minTime = argc > 1 ? atof(argv[1]) : 0.5;
	const char *only = argc > 2 ? argv[2] : NULL;
	int threads = openblas_get_num_threads();
	for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++) {
		const struct shape *sh = &shapes[s];
		if (only && strcmp(only, "-c") == 0) {
			printf("%s\n", openblas_get_corename());
			return 0;
		}
		if (only && strcmp(only, "-l") == 0) {
			printf("%s\n", sh->name);
			continue;
		}
		if (only && strcmp(only, sh->name) != 0) continue;
		float *a = randomMatrix((size_t)sh->m * sh->k);
		float *b = randomMatrix((size_t)sh->k * sh->n);
		float *c = randomMatrix((size_t)sh->m * sh->n);
		int lda = sh->transA ? sh->m : sh->k, ldb = sh->transB ? sh->k : sh->n;
		enum CBLAS_TRANSPOSE ta = sh->transA ? CblasTrans : CblasNoTrans;
		enum CBLAS_TRANSPOSE tb = sh->transB ? CblasTrans : CblasNoTrans;
		cblas_sgemm(CblasRowMajor, ta, tb, sh->m, sh->n, sh->k, 1, a, lda, b, ldb, 0, c, sh->n);
		long reps = 0;
		clock_t cpu0 = clock();
		double start = now(), elapsed;
		do {
			cblas_sgemm(CblasRowMajor, ta, tb, sh->m, sh->n, sh->k, 1, a, lda, b, ldb, 0, c, sh->n);
			reps++;
			elapsed = now() - start;
		} while (elapsed < minTime);
		double cpu = (double)(clock() - cpu0) / CLOCKS_PER_SEC;
		double flops = 2.0 * sh->m * sh->n * sh->k * reps;
		printf("%s %d %.2f %.2f\n", sh->name, threads, flops / elapsed / 1e9, flops / cpu / 1e9);
		fflush(stdout);
		free(a), free(b), free(c);
	}
	return 0;
}
