using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using SwitchGate.Tpm.Client;
using SwitchGate.Tpm.Structures;

namespace SwitchGate.AttestLoad;

/// <summary>
/// A real TPM for one simulated node: an swtpm process this class starts (and stops by its pid), provisioned like
/// the agent's TPM objects (persistent ECC SRK, ECC AK, a 32-byte secret sealed to PolicyPCR over the clean
/// selection), and the agent's attestation step over one long-lived connection: unseal + quote + PCR_Read
/// (<see cref="PcrSealing.UnsealAndQuoteAsync"/>), timed per exchange.
/// </summary>
internal sealed class SwtpmEvidence : IDisposable
{
    private const uint SrkHandle = 0x8100_0201;
    private const uint AkHandle = 0x8101_0202;

    private readonly SwtpmInstance _swtpm;
    private Tpm2 _tpm = null!;
    private CreatedObject _sealed = null!;

    private SwtpmEvidence(SwtpmInstance swtpm) => _swtpm = swtpm;

    public int Port => _swtpm.Port;
    public int Pid => _swtpm.Pid;
    public TpmlPcrSelection Selection { get; } = TpmlPcrSelection.Parse(SimNode.Selection);
    public byte[] AkPublic { get; private set; } = [];
    public byte[] Secret { get; } = RandomNumberGenerator.GetBytes(32);
    public IReadOnlyList<byte[]> Golden { get; private set; } = [];

    public static async Task<SwtpmEvidence> StartAsync(string workDirectory, string? pidFile)
    {
        var swtpm = SwtpmInstance.Start(Path.Combine(workDirectory, "swtpm"));
        if (pidFile is not null)
            File.WriteAllText(pidFile, swtpm.Pid.ToString(CultureInfo.InvariantCulture));
        var tpm = new SwtpmEvidence(swtpm);
        try
        {
            await tpm.ProvisionAsync();
            return tpm;
        }
        catch
        {
            tpm.Dispose();
            throw;
        }
    }

    private async Task ProvisionAsync()
    {
        var deadline = Stopwatch.StartNew();
        _tpm = await _swtpm.ConnectAsync();
        await using (var srk = await _tpm.CreatePrimaryAsync(TpmRh.Owner, TpmTemplates.EccStorageKey()))
            await _tpm.EvictControlAsync(srk.Handle, SrkHandle);
        var ak = await _tpm.CreateAsync(SrkHandle, TpmTemplates.EccAttestationKey());
        await using (var loaded = await _tpm.LoadAsync(SrkHandle, ak))
            await _tpm.EvictControlAsync(loaded.Handle, AkHandle);
        AkPublic = Tpm2bPublic.ToBytes(ak.Public);
        Golden = (await _tpm.PcrReadAsync(Selection)).Values;
        _sealed = await _tpm.SealAsync(SrkHandle, Secret, Selection, Golden);
        // swtpm reports clockInfo.safe = 0 for about 2 s after it starts (docs/tool-notes.md); the gate rightly refuses
        // such quotes (ClockUnsafe), so wait until the TPM says safe.
        while (!TpmsAttest.Parse((await _tpm.QuoteAsync(AkHandle, new byte[32], Selection)).Attest).ClockInfo.Safe)
        {
            if (deadline.Elapsed > TimeSpan.FromSeconds(30))
                throw new InvalidOperationException("swtpm never reported clockInfo.safe = 1");
            await Task.Delay(200);
        }
    }

    /// <summary>The agent's TPM work for one CHALLENGE, and how long it took.</summary>
    public (AttestationEvidence Evidence, double Milliseconds) UnsealAndQuote(byte[] nonce)
    {
        long start = Stopwatch.GetTimestamp();
        var evidence = _tpm.UnsealAndQuoteAsync(SrkHandle, _sealed, Selection, AkHandle, nonce, Selection).GetAwaiter().GetResult();
        return (evidence, Stopwatch.GetElapsedTime(start).TotalMilliseconds);
    }

    public void Dispose()
    {
        _tpm?.Dispose();
        _swtpm.Dispose();
    }
}
