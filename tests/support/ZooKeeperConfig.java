// Reads a zoo.cfg with ZooKeeper's own parser and prints what it understood,
// one key=value per line:
//   java -cp /usr/share/java/zookeeper.jar ZooKeeperConfig.java zoo.cfg
import java.util.TreeMap;

public class ZooKeeperConfig {
    public static void main(String[] args) throws Exception {
        org.apache.zookeeper.server.quorum.QuorumPeerConfig config =
            new org.apache.zookeeper.server.quorum.QuorumPeerConfig();
        config.parse(args[0]);
        System.out.println("dataDir=" + config.getDataDir());
        System.out.println("clientPortAddress=" + config.getClientPortAddress());
        System.out.println("tickTime=" + config.getTickTime());
        System.out.println("initLimit=" + config.getInitLimit());
        System.out.println("syncLimit=" + config.getSyncLimit());
        System.out.println("distributed=" + config.isDistributed());
        System.out.println("serverId=" + config.getServerId());
        TreeMap<Long, String> servers = new TreeMap<>();
        for (var s : config.getServers().entrySet()) {
            servers.put(s.getKey(), s.getValue().addr.getReachableOrOne()
                + " election=" + s.getValue().electionAddr.getReachableOrOne());
        }
        servers.forEach((id, s) -> System.out.println("server." + id + "=" + s));
    }
}
