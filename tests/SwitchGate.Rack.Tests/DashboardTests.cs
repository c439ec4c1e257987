using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace SwitchGate.Rack.Tests;

/// <summary>
/// The dashboard in a real browser: Debian's chromium driven by Playwright (never a downloaded browser), against a
/// controller on the OVS rack with real agents. It must show the switch and the nodes, follow them live from the
/// event stream, draw the verdict timeline, and only ever read.
/// </summary>
[Trait("Requires", "root")]
[Trait("Requires", "ovs")]
[Trait("Requires", "swtpm")]
[Trait("Requires", "chromium")]
public sealed class DashboardTests
{
    private const string Chromium = "/usr/bin/chromium";

    [Fact]
    public async Task Shows_the_rack_live_with_a_verdict_timeline_and_only_reads()
    {
        Environment.SetEnvironmentVariable("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1");
        Assert.True(File.Exists(Chromium), "chromium is not installed (scripts/lib/setup.sh installs it)");
        await using var ops = await OpsRack.StartAsync();
        var rack = ops.Rack;
        using var playwright = await Playwright.CreateAsync();
        // --no-sandbox: the tests run as root, where chromium's sandbox refuses to start.
        await using var browser = await playwright.Chromium.LaunchAsync(new() { ExecutablePath = Chromium, Headless = true, Args = ["--no-sandbox"] });
        var page = await browser.NewPageAsync();
        var methods = new List<string>();
        page.Request += (_, request) => methods.Add(request.Method);

        // Without a token the page asks for one and shows nothing.
        await page.GotoAsync(ops.Api.ToString());
        await Expect(page.Locator("#auth")).ToBeVisibleAsync();
        await Expect(page.Locator("#nodes tbody tr")).ToHaveCountAsync(0);

        await page.GotoAsync($"{ops.Api}#token={ops.ReadToken}");
        await page.ReloadAsync();
        await Expect(page.Locator("#status")).ToHaveTextAsync("live", new() { Timeout = 15_000 });
        var dpid = $"0x{rack.DatapathId:x16}";
        await Expect(page.Locator($"#switches tr[data-dpid='{dpid}']")).ToContainTextAsync("Ready");
        await Expect(page.Locator("#nodes tbody tr")).ToHaveCountAsync(2);
        var bs1State = page.Locator("#nodes tr[data-node='bs1'] td[data-field='state']");
        await Expect(bs1State).ToHaveTextAsync("idle");

        // Live: the agent's admission appears without a reload, in the table and in the timeline.
        var attest = await rack.AttestOnceAsync("bs1");
        Assert.True(attest.Succeeded, attest.ToString());
        await Expect(bs1State).ToHaveTextAsync("admitted", new() { Timeout = 15_000 });
        await Expect(page.Locator("#timeline li.admitted").First).ToContainTextAsync("bs1 admitted Admitted");

        using (var admin = ops.Client(ops.AdminToken))
            Assert.Equal(System.Net.HttpStatusCode.Accepted, (await admin.PostAsync("/api/v1/nodes/bs1/revoke", null)).StatusCode);
        await Expect(page.Locator("#timeline li").First).ToContainTextAsync("bs1 revoked LeaseExpired", new() { Timeout = 15_000 });
        await Expect(page.Locator("#timeline li").First).ToHaveClassAsync("revoked");
        await Expect(bs1State).ToHaveTextAsync("idle", new() { Timeout = 15_000 });

        Assert.All(methods, m => Assert.Equal("GET", m));
    }
}
