/* libdm/gpu/smoke.cu - dm_gpu_smoke_run: the CUDA runtime end to end, as a
 * notebook would use it: allocate, copy in through pinned memory, run a
 * kernel, copy back, check every byte, time the copies.
 *
 * Built only when CMake finds the CUDA toolkit (tools/dm-gpu/CMakeLists.txt
 * compiles it into the dm_gpu_smoke library); the runtime is linked
 * statically, so the binary needs no toolkit where it runs, only the driver.
 */
#include <stdio.h>
#include <string.h>

#include <cuda_runtime.h>

#include <dm/gpu.h>

__global__ static void dm_gpu_smoke_kernel(unsigned int *p, size_t n)
{
	size_t i = (size_t)blockIdx.x * blockDim.x + threadIdx.x;
	size_t stride = (size_t)gridDim.x * blockDim.x;

	for (; i < n; i += stride)
		p[i] = p[i] * 2u + 1u;
}

static int failed(dm_gpu_smoke_result *out, const char *what, cudaError_t e)
{
	snprintf(out->error, sizeof(out->error), "%s: %s (%s, %d)", what, cudaGetErrorString(e), cudaGetErrorName(e),
		 (int)e);
	return 0;
}

static int run(dm_gpu_smoke_result *out, int dev, size_t bytes, unsigned int **host, unsigned int **devp,
	       cudaEvent_t ev[4])
{
	size_t n = bytes / sizeof(unsigned int), i;
	float ms;
	cudaError_t e;

	if ((e = cudaSetDevice(dev)) != cudaSuccess)
		return failed(out, "cudaSetDevice", e);
	if ((e = cudaMallocHost((void **)host, bytes)) != cudaSuccess)
		return failed(out, "cudaMallocHost", e);
	if ((e = cudaMalloc((void **)devp, bytes)) != cudaSuccess)
		return failed(out, "cudaMalloc", e);
	for (i = 0; i < 4; i++)
		if ((e = cudaEventCreate(&ev[i])) != cudaSuccess)
			return failed(out, "cudaEventCreate", e);
	for (i = 0; i < n; i++)
		(*host)[i] = (unsigned int)i;

	cudaEventRecord(ev[0]);
	if ((e = cudaMemcpy(*devp, *host, bytes, cudaMemcpyHostToDevice)) != cudaSuccess)
		return failed(out, "cudaMemcpy to the device", e);
	cudaEventRecord(ev[1]);
	dm_gpu_smoke_kernel<<<256, 256>>>(*devp, n);
	if ((e = cudaGetLastError()) != cudaSuccess)
		return failed(out, "kernel launch", e);
	cudaEventRecord(ev[2]);
	if ((e = cudaMemcpy(*host, *devp, bytes, cudaMemcpyDeviceToHost)) != cudaSuccess)
		return failed(out, "cudaMemcpy from the device", e);
	cudaEventRecord(ev[3]);
	if ((e = cudaEventSynchronize(ev[3])) != cudaSuccess)
		return failed(out, "cudaEventSynchronize", e);

	for (i = 0; i < n; i++) {
		if ((*host)[i] != (unsigned int)i * 2u + 1u) {
			snprintf(out->error, sizeof(out->error),
				 "the kernel's result is wrong at element %zu: %u instead of %u", i, (*host)[i],
				 (unsigned int)i * 2u + 1u);
			return 0;
		}
	}
	if (cudaEventElapsedTime(&ms, ev[0], ev[1]) == cudaSuccess && ms > 0)
		out->h2d_gbps = (double)bytes / (ms / 1000.0) / 1e9;
	if (cudaEventElapsedTime(&ms, ev[1], ev[2]) == cudaSuccess)
		out->kernel_ms = ms;
	if (cudaEventElapsedTime(&ms, ev[2], ev[3]) == cudaSuccess && ms > 0)
		out->d2h_gbps = (double)bytes / (ms / 1000.0) / 1e9;
	return 1;
}

extern "C" dm_err dm_gpu_smoke_run(dm_gpu_smoke_result *out, int cuda_index, size_t bytes)
{
	unsigned int *host = NULL, *devp = NULL;
	cudaEvent_t ev[4] = { NULL, NULL, NULL, NULL };
	int i;

	memset(out, 0, sizeof(*out));
	out->cuda_index = cuda_index;
	if (cuda_index < 0)
		return dm_fail(DM_ERR_INVALID, "CUDA device index %d is not a device", cuda_index);
	if (bytes < 4096)
		bytes = 4096;
	out->bytes = bytes;
	out->runtime_version = CUDART_VERSION;
	out->ok = run(out, cuda_index, bytes, &host, &devp, ev);
	for (i = 0; i < 4; i++)
		if (ev[i])
			cudaEventDestroy(ev[i]);
	if (devp)
		cudaFree(devp);
	if (host)
		cudaFreeHost(host);
	return DM_OK;
}
