namespace SwitchGate.Operations.Api;

/// <summary>The read-only dashboard page (Dashboard/index.html, embedded): it draws itself from the API and the event stream.</summary>
public static class Dashboard
{
    public static string Html { get; } = Load();

    private static string Load()
    {
        using var stream = typeof(Dashboard).Assembly.GetManifestResourceStream("dashboard/index.html")
            ?? throw new InvalidOperationException("the dashboard page is not embedded");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }
}
