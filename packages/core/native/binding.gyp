{
  "targets": [
    {
      "target_name": "gradswarm_kernels",
      "sources": ["src/addon.c", "src/addon-update.c", "src/gemm.c", "src/avx2.c", "src/avx512.c", "src/loss.c", "src/loss-avx2.c", "src/update.c"],
      "cflags_c": ["-std=gnu11", "-O3", "-fno-math-errno", "-Wall", "-Wno-unused-function"],
      "cflags!": ["-O2"],
      "xcode_settings": {
        "GCC_C_LANGUAGE_STANDARD": "gnu11",
        "GCC_OPTIMIZATION_LEVEL": "3"
      },
      "msvs_settings": {
        "VCCLCompilerTool": { "Optimization": 2, "AdditionalOptions": ["/std:c11"] }
      }
    }
  ]
}
