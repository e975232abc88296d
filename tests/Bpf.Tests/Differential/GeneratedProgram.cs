using Bpf.Isa;

namespace Bpf.Tests.Differential;

/// <summary>A program made by the <see cref="RandomProgramGenerator"/>, with the input it runs on.</summary>
/// <param name="Seed">The seed that reproduces it.</param>
/// <param name="Instructions">The instruction slots; they pass <see cref="Bytecode.Create"/>.</param>
/// <param name="Input">The input memory r1 points to at entry (each run gets a copy).</param>
/// <param name="HasWildAccesses">True if the program contains deliberate invalid accesses, so it may trap.</param>
public sealed record GeneratedProgram(int Seed, Instruction[] Instructions, byte[] Input, bool HasWildAccesses);
