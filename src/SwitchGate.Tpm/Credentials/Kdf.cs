using System.Buffers.Binary;
using System.Text;
using SwitchGate.Tpm.Structures;

namespace SwitchGate.Tpm.Credentials;

/// <summary>The TPM's key derivation functions (Part 1, §11.4.10).</summary>
public static class Kdf
{
    /// <summary>
    /// KDFa (Part 1, §11.4.10.2): SP 800-108 counter mode with HMAC: for i = 1.. :
    /// HMAC(key, [i]₃₂ ‖ label ‖ 00 ‖ contextU ‖ contextV ‖ [bits]₃₂), truncated to <paramref name="bits"/>.
    /// </summary>
    public static byte[] KdfA(TpmAlgId hashAlg, ReadOnlySpan<byte> key, string label, ReadOnlySpan<byte> contextU, ReadOnlySpan<byte> contextV, int bits)
    {
        var labelBytes = Encoding.ASCII.GetBytes(label + "\0");
        var output = new byte[(bits + 7) / 8];
        var input = new byte[4 + labelBytes.Length + contextU.Length + contextV.Length + 4];
        labelBytes.CopyTo(input, 4);
        contextU.CopyTo(input.AsSpan(4 + labelBytes.Length));
        contextV.CopyTo(input.AsSpan(4 + labelBytes.Length + contextU.Length));
        BinaryPrimitives.WriteUInt32BigEndian(input.AsSpan(input.Length - 4), (uint)bits);
        var done = 0;
        for (uint counter = 1; done < output.Length; counter++)
        {
            BinaryPrimitives.WriteUInt32BigEndian(input, counter);
            var block = TpmHash.Hmac(hashAlg, key, input);
            var take = Math.Min(block.Length, output.Length - done);
            block.AsSpan(0, take).CopyTo(output.AsSpan(done));
            done += take;
        }
        return output;
    }

    /// <summary>
    /// KDFe (Part 1, §11.4.10.3): SP 800-56A concatenation KDF: for i = 1.. :
    /// H([i]₃₂ ‖ Z ‖ label ‖ 00 ‖ partyUInfo ‖ partyVInfo), truncated to <paramref name="bits"/>.
    /// </summary>
    public static byte[] KdfE(TpmAlgId hashAlg, ReadOnlySpan<byte> z, string label, ReadOnlySpan<byte> partyUInfo, ReadOnlySpan<byte> partyVInfo, int bits)
    {
        var labelBytes = Encoding.ASCII.GetBytes(label + "\0");
        var output = new byte[(bits + 7) / 8];
        var input = new byte[4 + z.Length + labelBytes.Length + partyUInfo.Length + partyVInfo.Length];
        z.CopyTo(input.AsSpan(4));
        labelBytes.CopyTo(input, 4 + z.Length);
        partyUInfo.CopyTo(input.AsSpan(4 + z.Length + labelBytes.Length));
        partyVInfo.CopyTo(input.AsSpan(4 + z.Length + labelBytes.Length + partyUInfo.Length));
        var done = 0;
        for (uint counter = 1; done < output.Length; counter++)
        {
            BinaryPrimitives.WriteUInt32BigEndian(input, counter);
            var block = TpmHash.Compute(hashAlg, input);
            var take = Math.Min(block.Length, output.Length - done);
            block.AsSpan(0, take).CopyTo(output.AsSpan(done));
            done += take;
        }
        return output;
    }
}
