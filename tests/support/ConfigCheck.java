// Reads generated files with the real Java code that will read them:
//   java -cp /usr/share/java/zookeeper.jar ConfigCheck.java zookeeper zoo.cfg
//   java ConfigCheck.java properties file.properties
// and prints what was understood, one key=value per line.
import java.io.FileReader;
import java.util.Properties;
import java.util.TreeMap;

public class ConfigCheck {
    public static void main(String[] args) throws Exception {
        switch (args[0]) {
            case "zookeeper": {
                org.apache.zookeeper.server.quorum.QuorumPeerConfig config =
                    new org.apache.zookeeper.server.quorum.QuorumPeerConfig();
                config.parse(args[1]);
                System.out.println("dataDir=" + config.getDataDir());
                System.out.println("clientPortAddress=" + config.getClientPortAddress());
                System.out.println("tickTime=" + config.getTickTime());
                System.out.println("initLimit=" + config.getInitLimit());
                System.out.println("syncLimit=" + config.getSyncLimit());
                System.out.println("distributed=" + config.isDistributed());
                System.out.println("serverId=" + config.getServerId());
                TreeMap<Long, String> servers = new TreeMap<>();
                for (var s : config.getServers().entrySet()) {
                    servers.put(s.getKey(), s.getValue().addr.getReachableOrOne() + " election=" + s.getValue().electionAddr.getReachableOrOne());
                }
                servers.forEach((id, s) -> System.out.println("server." + id + "=" + s));
                break;
            }
            case "properties": {
                Properties p = new Properties();
                try (FileReader r = new FileReader(args[1])) {
                    p.load(r);
                }
                new TreeMap<>(p).forEach((k, v) -> System.out.println(k + "=" + v));
                break;
            }
            default:
                throw new IllegalArgumentException("unknown kind " + args[0]);
        }
    }
}
