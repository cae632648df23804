# Evaluates a Vagrantfile with a recording stand-in for Vagrant and prints,
# as JSON, the machines it would create and how each is provisioned:
#   ruby vagrant_stub.rb path/to/Vagrantfile
require "json"

# Accepts any provider setting (memory, cpus, ...).
class Anything
  def method_missing(*) = self
  def respond_to_missing?(*) = true
end

# One machine (or the defaults every machine starts from).
class Machine
  attr_reader :record

  def initialize(name, defaults = {})
    @record = Marshal.load(Marshal.dump(defaults)).merge("name" => name)
    @record["networks"] ||= []
    @record["provision"] ||= []
    @record["synced_folders"] ||= []
    @children = []
  end

  attr_reader :children

  def vm = self

  def box=(value)
    @record["box"] = value
  end

  def hostname=(value)
    @record["hostname"] = value
  end

  def network(type, **options) = @record["networks"] << options.merge("type" => type)
  def synced_folder(source, target) = @record["synced_folders"] << [source, target]
  def provider(_name) = yield(Anything.new)
  def provision(type, **options) = @record["provision"] << options.merge("type" => type)

  def define(name)
    child = Machine.new(name, @record.reject { |k, _| k == "name" })
    yield child
    @children << child
  end
end

module Vagrant
  def self.configure(_version)
    root = Machine.new("default")
    yield root
    machines = root.children.empty? ? [root] : root.children
    puts JSON.pretty_generate(machines.map(&:record))
  end
end

path = File.expand_path(ARGV.fetch(0))
Dir.chdir(File.dirname(path)) { eval(File.read(path), binding, path) }
