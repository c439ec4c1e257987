namespace SwitchGate.Attestation;

/// <summary>
/// Crash-safe file writes, shared by the gate (enrolments, audit log) and the boot agent (job records, images):
/// a reader sees the old content or the new one, never a mix, and a power loss after return loses nothing.
/// Temp file in the same directory, fsync, rename(2), fsync of the directory.
/// </summary>
public static class DurableFile
{
    /// <summary>
    /// Writes <paramref name="content"/> durably. <paramref name="mode"/>: the file's permissions from its creation on
    /// (a file holding a secret is never readable by others, not even for a moment).
    /// </summary>
    public static void WriteAllBytes(string path, ReadOnlySpan<byte> content, UnixFileMode? mode = null)
    {
        var temp = TempPathFor(path);
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, Share = FileShare.None };
        if (mode is { } m && !OperatingSystem.IsWindows())
            options.UnixCreateMode = m;
        try
        {
            using (var stream = new FileStream(temp, options))
            {
                stream.Write(content);
                stream.Flush(flushToDisk: true);
            }
            Commit(temp, path);
        }
        finally
        {
            if (File.Exists(temp))
                File.Delete(temp);
        }
    }

    /// <summary>A fresh temp name next to <paramref name="path"/> (same file system, so <see cref="Commit"/> is a rename).</summary>
    public static string TempPathFor(string path)
    {
        var full = Path.GetFullPath(path);
        return Path.Combine(Path.GetDirectoryName(full)!, $".{Path.GetFileName(full)}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp");
    }

    /// <summary>
    /// Makes a fully written file durable under its final name: fsync of its content, rename(2) over
    /// <paramref name="path"/>, fsync of the directory. For files streamed to disk (images) that are too large
    /// for <see cref="WriteAllBytes"/>.
    /// </summary>
    public static void Commit(string writtenPath, string path)
    {
        using (var stream = new FileStream(writtenPath, FileMode.Open, FileAccess.ReadWrite, FileShare.None))
            stream.Flush(flushToDisk: true);
        File.Move(writtenPath, path, overwrite: true); // rename(2): atomic within a file system
        SyncDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
    }

    /// <summary>fsync(2) of the directory, so that the rename itself survives a power loss (.NET cannot open a directory as a file).</summary>
    public static void SyncDirectory(string directory)
    {
        if (!OperatingSystem.IsLinux())
            return;
        int fd = Native.open(directory, Native.O_RDONLY);
        if (fd < 0)
            throw new IOException($"cannot open directory {directory} to sync it (errno {System.Runtime.InteropServices.Marshal.GetLastPInvokeError()})");
        try
        {
            if (Native.fsync(fd) != 0)
                throw new IOException($"fsync of directory {directory} failed (errno {System.Runtime.InteropServices.Marshal.GetLastPInvokeError()})");
        }
        finally
        {
            // A read-only descriptor: fsync above already reported whether the entry is durable, close has nothing to add.
            _ = Native.close(fd);
        }
    }

    private static class Native
    {
        public const int O_RDONLY = 0; // <fcntl.h>; a directory opens read-only without O_DIRECTORY

        [System.Runtime.InteropServices.DllImport("libc", SetLastError = true)]
        public static extern int open([System.Runtime.InteropServices.MarshalAs(System.Runtime.InteropServices.UnmanagedType.LPUTF8Str)] string path, int flags);

        [System.Runtime.InteropServices.DllImport("libc", SetLastError = true)]
        public static extern int fsync(int fd);

        [System.Runtime.InteropServices.DllImport("libc")]
        public static extern int close(int fd);
    }
}
