using System.Security.Cryptography;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Engines;
using SwitchGate.Tpm.Client;
using SwitchGate.Tpm.Structures;

namespace SwitchGate.Benchmarks.Tpm;

internal static class Setup
{
    public const uint SrkHandle = 0x8100_0201;
    public const uint AkHandle = 0x8101_0202;
    public static readonly TpmlPcrSelection Pcrs = TpmlPcrSelection.Parse("sha256:16,23");

    /// <summary>Persistent ECC SRK and ECC AK, and a secret sealed to PCRs 16,23 (also written as files for tpm2-tools).</summary>
    public static async Task<CreatedObject> ProvisionAsync(SwtpmInstance swtpm)
    {
        using var tpm = await Tpm2.ConnectSwtpmAsync("127.0.0.1", swtpm.Port);
        await using (var srk = await tpm.CreatePrimaryAsync(TpmRh.Owner, TpmTemplates.EccStorageKey()))
            await tpm.EvictControlAsync(srk.Handle, SrkHandle);
        var akBlob = await tpm.CreateAsync(SrkHandle, TpmTemplates.EccAttestationKey());
        await using (var ak = await tpm.LoadAsync(SrkHandle, akBlob))
            await tpm.EvictControlAsync(ak.Handle, AkHandle);
        var sealedObject = await tpm.SealAsync(SrkHandle, RandomNumberGenerator.GetBytes(32), Pcrs);
        File.WriteAllBytes(swtpm.PathOf("seal.pub"), Tpm2bPublic.ToBytes(sealedObject.Public));
        File.WriteAllBytes(swtpm.PathOf("seal.priv"), sealedObject.PrivateTpm2b());
        return sealedObject;
    }
}

/// <summary>
/// Our client, in-process, over one long-lived swtpm TCP connection: what the boot agent does. ECC P-256 AK
/// (persistent), secret sealed to PolicyPCR(sha256:16,23); unseal = Load + StartAuthSession + PolicyPCR + Unseal + 2 flushes.
/// </summary>
[SimpleJob(RunStrategy.Throughput, launchCount: 1, warmupCount: 3, iterationCount: 15)]
[MedianColumn]
public class ClientLatencyBenchmarks
{
    private SwtpmInstance _swtpm = null!;
    private Tpm2 _tpm = null!;
    private CreatedObject _sealed = null!;
    private readonly byte[] _nonce = RandomNumberGenerator.GetBytes(32);

    [GlobalSetup]
    public void GlobalSetup()
    {
        _swtpm = new SwtpmInstance();
        _sealed = Setup.ProvisionAsync(_swtpm).GetAwaiter().GetResult();
        _tpm = Tpm2.ConnectSwtpmAsync("127.0.0.1", _swtpm.Port).GetAwaiter().GetResult();
    }

    [Benchmark(Description = "ours: Quote (ECC AK)")]
    public Task<QuoteResult> Quote() => _tpm.QuoteAsync(Setup.AkHandle, _nonce, Setup.Pcrs);

    [Benchmark(Description = "ours: Unseal with PolicyPCR")]
    public Task<byte[]> Unseal() => _tpm.UnsealWithPcrPolicyAsync(Setup.SrkHandle, _sealed, Setup.Pcrs);

    [Benchmark(Description = "ours: unseal + quote + PCR_Read")]
    public Task<AttestationEvidence> UnsealAndQuote() =>
        _tpm.UnsealAndQuoteAsync(Setup.SrkHandle, _sealed, Setup.Pcrs, Setup.AkHandle, _nonce, Setup.Pcrs);

    [GlobalCleanup]
    public void GlobalCleanup()
    {
        _tpm.Dispose();
        _swtpm.Dispose();
    }
}

/// <summary>
/// The same operations with tpm2-tools 5.4, one process per call (the way a shell agent would use them). Between
/// invocations (not measured) the leftovers tpm2-tools keeps loaded are flushed, as swtpm has no resource manager.
/// </summary>
[SimpleJob(RunStrategy.Monitoring, launchCount: 1, warmupCount: 2, iterationCount: 15, invocationCount: 1)]
[MedianColumn]
public class ToolsLatencyBenchmarks
{
    private SwtpmInstance _swtpm = null!;
    private string _nonce = "";

    [GlobalSetup]
    public void GlobalSetup()
    {
        _swtpm = new SwtpmInstance();
        Setup.ProvisionAsync(_swtpm).GetAwaiter().GetResult();
        _swtpm.ToolChecked("tpm2_load", "-Q", "-C", $"0x{Setup.SrkHandle:x}", "-u", "seal.pub", "-r", "seal.priv", "-c", "seal.ctx");
        _swtpm.FlushToolLeftovers();
        _nonce = Convert.ToHexString(RandomNumberGenerator.GetBytes(32));
    }

    [IterationCleanup]
    public void Flush() => _swtpm.FlushToolLeftovers();

    [Benchmark(Description = "tpm2_quote (process)")]
    public void Quote() => _swtpm.ToolChecked("tpm2_quote", "-Q", "-c", $"0x{Setup.AkHandle:x}", "-l", "sha256:16,23", "-q", _nonce,
        "-m", "q.msg", "-s", "q.sig", "-o", "q.vals", "-F", "values", "-g", "sha256");

    [Benchmark(Description = "tpm2_unseal -p pcr: (process)")]
    public void Unseal() => _swtpm.ToolChecked("tpm2_unseal", "-c", "seal.ctx", "-p", "pcr:sha256:16,23", "-o", "secret.out");

    [Benchmark(Description = "tpm2_unseal + tpm2_quote (2 processes)")]
    public void UnsealAndQuote()
    {
        Unseal();
        Quote();
    }

    [GlobalCleanup]
    public void GlobalCleanup() => _swtpm.Dispose();
}
