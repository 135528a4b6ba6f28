// The subcommands of the concur command. Each takes the arguments after its
// own name (argv[0] is the subcommand's name) and returns the exit status.
#pragma once

namespace concur::cli {

int run_main(int argc, char** argv);   // concur run ...  (apps/concur/run/)
int demo_main(int argc, char** argv);  // concur demo ... (apps/concur/demo/)

}  // namespace concur::cli
