using System.Text;
using CsCheck;
using GorbLink.Core.Ownership;
using GorbLink.Core.StateFiles;
using GorbLink.Core.Vips;
using GorbLink.Fuzz.Tests.Support;

namespace GorbLink.Fuzz.Tests.Core;

/// <summary>
/// Every file GorbLink reads is either understood or refused with its own typed error that names the file: the
/// `ipvs apply` state file, the ownership file and the VIP file. Inputs are structural JSON mutations and raw byte
/// mutations (invalid UTF-8, truncation) of the seeds in corpus/.
/// </summary>
public class StateFileFuzzTests
{
    private static Gen<byte[]> Files(string target) => Gen.Frequency(
        (3, JsonMutator.From(Corpus.Text(target)).Select(Encoding.UTF8.GetBytes)),
        (1, ByteMutator.From(Corpus.Bytes(target))));

    [Fact]
    public void AStateFileIsReadOrRefusedWithAStateFileError()
    {
        FuzzRun.Run(Files("statefile"), bytes =>
        {
            try
            {
                StateFileReader.Parse(Encoding.UTF8.GetString(bytes), "fuzz.json");
            }
            catch (StateFileException e)
            {
                Assert.Contains("fuzz.json", e.Message, StringComparison.Ordinal);
            }
        }, Encoding.UTF8.GetString);
    }

    [Fact]
    public void AnOwnershipFileIsReadOrRefusedWithAnOwnershipFileError()
    {
        FuzzRun.Run(Files("ownership"), bytes => WithFile(bytes, path =>
        {
            try
            {
                new OwnershipStore(new OwnershipOptions { Path = path }).Load();
            }
            catch (OwnershipFileException e)
            {
                Assert.Contains(path, e.Message, StringComparison.Ordinal);
            }
        }), Encoding.UTF8.GetString);
    }

    [Fact]
    public void AVipFileIsReadOrRefusedWithAVipFileError()
    {
        FuzzRun.Run(Files("vipstate"), bytes => WithFile(bytes, path =>
        {
            try
            {
                VipStateFile.Read(path);
            }
            catch (VipStateFileException e)
            {
                Assert.Contains(path, e.Message, StringComparison.Ordinal);
            }
        }), Encoding.UTF8.GetString);
    }

    private static void WithFile(byte[] content, Action<string> read)
    {
        var path = Path.Combine(Path.GetTempPath(), $"gorblink-fuzz-{Guid.NewGuid():N}.json");
        File.WriteAllBytes(path, content);
        try
        {
            read(path);
        }
        finally
        {
            File.Delete(path);
        }
    }
}
