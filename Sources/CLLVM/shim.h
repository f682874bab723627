// The LLVM C API, as Debian's llvm-14-dev installs it under /usr/lib/llvm-14/include.
#include <llvm-c/Core.h>
#include <llvm-c/DebugInfo.h>
#include <llvm-c/Target.h>
#include <llvm-c/TargetMachine.h>
#include <llvm-c/Analysis.h>
#include <llvm-c/Transforms/Scalar.h>
#include <llvm-c/Transforms/Utils.h>
#include <llvm-c/Transforms/InstCombine.h>
// CO-RE relocation globals carry an attribute only IR text can set (IRGen+FieldAccess.swift).
#include <llvm-c/IRReader.h>
#include <llvm-c/Linker.h>
#include <llvm/Config/llvm-config.h>
