# dm_gpu_smoke_setup(TOOL SMOKE_CU INCLUDE_DIR): when a CUDA compiler is found,
# builds SMOKE_CU into the static library dm_gpu_smoke (CUDA runtime linked
# statically) and links TOOL with it, defining DM_GPU_HAVE_SMOKE.
# Shared by the main build and tools/dm-gpu/standalone.
option(DM_GPU_SMOKE "Build dm-gpu's --smoke test when the CUDA toolkit is found" ON)

macro(dm_gpu_smoke_setup tool smoke_cu include_dir)
  set(DM_GPU_HAVE_SMOKE OFF)
  if(DM_GPU_SMOKE)
    include(CheckLanguage)
    check_language(CUDA)
    if(CMAKE_CUDA_COMPILER)
      find_package(CUDAToolkit)
    endif()
  endif()
  if(DM_GPU_SMOKE AND CMAKE_CUDA_COMPILER AND CUDAToolkit_FOUND)
    if(NOT DEFINED CMAKE_CUDA_ARCHITECTURES)
      # Real code for every major architecture the toolkit supports, plus PTX
      # of the newest for GPUs after it (CMake >= 3.23 knows "all-major").
      set(CMAKE_CUDA_ARCHITECTURES all-major)
    endif()
    enable_language(CUDA)
    add_library(dm_gpu_smoke STATIC ${smoke_cu})
    # The C flags of the project (sanitizers, -Werror, -Wshadow) are not nvcc's.
    set_property(TARGET dm_gpu_smoke PROPERTY COMPILE_OPTIONS "")
    target_compile_options(dm_gpu_smoke PRIVATE $<$<COMPILE_LANGUAGE:CUDA>:-Xcompiler=-Wall>)
    target_include_directories(dm_gpu_smoke PRIVATE ${include_dir})
    target_link_libraries(dm_gpu_smoke PUBLIC CUDA::cudart_static)
    target_link_libraries(${tool} PRIVATE dm_gpu_smoke)
    target_compile_definitions(${tool} PRIVATE DM_GPU_HAVE_SMOKE=1)
    set_target_properties(${tool} PROPERTIES LINKER_LANGUAGE C)
    set(DM_GPU_HAVE_SMOKE ON)
    message(STATUS "dm-gpu: --smoke built with CUDA ${CUDAToolkit_VERSION} (${CMAKE_CUDA_COMPILER})")
  else()
    message(STATUS "dm-gpu: no CUDA toolkit found; --smoke is not built")
  endif()
endmacro()
