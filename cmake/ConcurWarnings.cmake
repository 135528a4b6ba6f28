# concur_warnings: an interface target carrying the project's warning flags.
# Linked PRIVATE by every target of this project, never exported to consumers.
add_library(concur_warnings INTERFACE)
target_compile_options(concur_warnings INTERFACE -Wall -Wextra -Wpedantic
                       $<$<BOOL:${CONCUR_WERROR}>:-Werror>)
