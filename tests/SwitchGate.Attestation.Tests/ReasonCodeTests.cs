namespace SwitchGate.Attestation.Tests;

public class ReasonCodeTests
{
    [Fact]
    public void Every_code_has_a_class_and_the_classes_partition_the_set()
    {
        var codes = Enum.GetValues<ReasonCode>();
        Assert.Equal(2, codes.Count(c => ReasonCodes.KindOf(c) == VerdictKind.Admitted));
        Assert.Equal(18, codes.Count(c => ReasonCodes.KindOf(c) == VerdictKind.Denied));
        Assert.Equal(8, codes.Count(c => ReasonCodes.KindOf(c) == VerdictKind.Revoked));
        Assert.Throws<ArgumentOutOfRangeException>(() => ReasonCodes.KindOf((ReasonCode)0x0300));
    }

    [Fact]
    public void Only_nonce_and_session_denials_are_stale()
    {
        var stale = Enum.GetValues<ReasonCode>().Where(ReasonCodes.IsStaleExchange).ToHashSet();
        Assert.Equal(
            [ReasonCode.NonceUnknown, ReasonCode.NonceUsed, ReasonCode.NonceExpired, ReasonCode.UnknownSession, ReasonCode.ExtraDataMismatch],
            stale.Order());
        Assert.All(stale, c => Assert.Equal(VerdictKind.Denied, ReasonCodes.KindOf(c)));
    }
}
