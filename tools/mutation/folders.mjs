/**
 * Which compiled sources each mutation run mutates (all .js files of dist/src/<folder> except `skip`),
 * and the fast test files that guard them.
 * Mutants are placed in the compiled JavaScript (dist/src), so no mutant needs a TypeScript build: Stryker
 * instruments every mutant at once and switches them on one at a time through an environment variable.
 */
export const folders = {
  io: { mutate: ['dist/src/io/**/*.js'], skip: [], tests: ['checkpoint', 'safetensors', 'io_edges', 'checkpoint_format', 'atomic_write'] },
  // datasets.js/mnistRaw.js decode the MNIST files (their tests read 10,000 digits: too slow per mutant)
  data: { mutate: ['dist/src/data/**/*.js'], skip: ['index.js', 'datasets.js', 'datasetsIndex.js', 'mnistRaw.js'], tests: ['data', 'data_edges', 'shuffle_uniform', 'distributed_sampler', 'strict_args'] },
  optim: { mutate: ['dist/src/optim/**/*.js'], tests: ['optim', 'optim_validation', 'optim_options', 'strict_args', 'lr_scheduler', 'lr_scheduler_more', 'lr_scheduler_edges', 'onecycle_pytorch', 'readme_claims'] },
  autograd: { mutate: ['dist/src/autograd/**/*.js'], tests: ['autograd_api', 'engine', 'higher_order', 'gradcheck_rejects', 'errors', 'autograd_details', 'forward_mode', 'eager_release', 'checkpoint_activation', 'grad_accumulation', 'backward_args', 'engine_edges', 'strict_args'] },
  // every fast test file that exercises ops, the quick ones first: a mutant made when a module loads (an op
  // record's fields) runs all of them, stopping at the first failure; ops_edges holds the cases written against
  // survivors, cross_backend guards util.js's mixed-backends error; bias_act (20 s) and gelu_kernel test kernels
  ops: {
    mutate: ['dist/src/ops/**/*.js'],
    tests: ['ops_edges', 'movement_edges', 'loss_edges', 'elementwise_edges', 'conv_edges', 'errors', 'stability', 'ties', 'branch_paths', 'cross_backend', 'args', 'op_args', 'inplace_ops', 'strict_args', 'habits', 'tensor_size',
      'op_defects', 'nn_inplace_activations', 'kernel_paths', 'cumprod', 'einsum', 'properties', 'half_dtypes', 'advanced_index', 'advanced_index_edges', 'indexing_edges', 'sort_edges', 'linear_edges', 'reduce_edges',
      'define_records', 'matmul_views', 'op_records_list', 'composites', 'nn_ops', 'conformance_f32', 'flash_attention', 'forward_mode', 'ops_gradcheck', 'fused_kernels'],
  },
};
